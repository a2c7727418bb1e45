// Placeholder until this command lands.
export async function benchCommand(_args: string[]): Promise<number> {
  console.error('d2l bench: not implemented yet');
  return 2;
}
