/**
 * The `d2l` command: dispatches to one module per subcommand, loaded lazily so `d2l kernel list` does not pay
 * for TensorFlow.js start-up.
 */
type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  kernel: { summary: 'install, list or uninstall the d2l Jupyter kernelspec', load: async () => (await import('./kernel')).kernelCommand },
  notebooks: { summary: "copy the chapter's notebooks into a folder (never overwrites)", load: async () => (await import('./notebooks')).notebooksCommand },
  run: { summary: 'execute notebooks headlessly on the d2l kernel', load: async () => (await import('./run')).runCommand },
  assign: { summary: 'write student versions of exercise notebooks', load: async () => (await import('./assign')).assignCommand },
  grade: { summary: 'auto-grade submitted exercise notebooks', load: async () => (await import('./grade')).gradeCommand },
  bench: { summary: 'training-step speed of the chapter models per backend (vs PyTorch)', load: async () => (await import('./bench')).benchCommand },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: d2l <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'd2l <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`d2l: unknown command '${name}'.\n${usage()}`);
    return 2;
  }
  return (await cmd.load())(rest);
}
