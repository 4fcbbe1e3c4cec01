/** What a CLI command reads and writes: the terminal, or the control socket's answer. */
export interface CliIo {
  /** What was piped to the command, if anything (a password, for instance). */
  stdin?: string;
  out(line: string): void;
  err(line: string): void;
}
