/** Small argument parsers shared by the `d2l` subcommands. */

/** Splits a command line on spaces, honouring '…' and "…" quotes (for --kernel-cmd). */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(cmd))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The value of `flag` as a positive number (an integer if asked); throws a message naming the flag. */
export function positiveNumber(flag: string, text: string | undefined, integer = false): number {
  const x = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) {
    throw new Error(`${flag} needs a positive ${integer ? 'integer' : 'number'}, got '${text ?? ''}'`);
  }
  return x;
}
