// Placeholder until this command lands.
export async function runCommand(_args: string[]): Promise<number> {
  console.error('d2l run: not implemented yet');
  return 2;
}
