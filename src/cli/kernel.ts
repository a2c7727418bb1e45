// Placeholder until this command lands.
export async function kernelCommand(_args: string[]): Promise<number> {
  console.error('d2l kernel: not implemented yet');
  return 2;
}
