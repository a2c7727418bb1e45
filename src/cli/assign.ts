// Placeholder until this command lands.
export async function assignCommand(_args: string[]): Promise<number> {
  console.error('d2l assign: not implemented yet');
  return 2;
}
