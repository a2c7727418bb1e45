// Placeholder until this command lands.
export async function gradeCommand(_args: string[]): Promise<number> {
  console.error('d2l grade: not implemented yet');
  return 2;
}
