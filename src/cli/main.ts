import { resolve } from "node:path";
import { buildApp } from "../app.ts";
import { loadConfig } from "../config/config.ts";
import { acquireDataDirLock, type DataDirLock, prepareDataDir } from "../db/data-dir-lock.ts";
import { explainDatabaseError } from "../db/database-errors.ts";
import { isDomainError } from "../shared/errors.ts";
import { createLogger } from "../shared/logger.ts";
import { exportFileName, runCommand, USAGE } from "./commands.ts";
import { controlSocketPath, sendToControlSocket } from "./control-socket.ts";
import { restoreCommand } from "./data-commands.ts";

// Image, dump and CSV paths are read (or written) by whichever process runs the command (the
// server, through the control socket): make them absolute here, where they were typed.
// So is the file of `user export <username> [file]` (its default name included).
const isDataFile = (all: string[], i: number) =>
  i === 2 &&
  ((all[0] === "domain" && (all[1] === "import" || all[1] === "export")) ||
    (all[0] === "db" && ["export", "backup", "restore"].includes(all[1] ?? "")));
const argv = withExportFile(
  process.argv
    .slice(2)
    .map((arg, i, all) =>
      (all[i - 1] === "--avatar" || all[i - 1] === "--header" || isDataFile(all, i)) &&
      arg !== "" &&
      arg !== "-"
        ? resolve(arg)
        : arg,
    ),
);
if (argv.length === 0 || argv[0] === "help" || argv.includes("--help")) {
  console.log(USAGE);
  process.exit(argv.length === 0 ? 2 : 0);
}

const result = loadConfig(process.env);
if (!result.ok) {
  for (const problem of result.problems) console.error(`Configuration error: ${problem}`);
  process.exit(1);
}
const { config } = result;
// Only `user create` (a piped password), `user password --stdin`, `user edit --bio -` and
// `domain import -` read stdin; other commands never wait on it.
const wantsStdin =
  ((argv[0] === "user" &&
    (argv[1] === "create" ||
      (argv[1] === "password" && argv.includes("--stdin")) ||
      (argv[1] === "edit" && argv.some((a, i) => a === "-" && argv[i - 1] === "--bio")))) ||
    (argv[0] === "domain" && argv[1] === "import" && argv[2] === "-")) &&
  !process.stdin.isTTY;
const stdin = wantsStdin ? await readAll(process.stdin) : undefined;

// A running server owns the embedded database: hand it the command.
let dataDirLock: DataDirLock | undefined;
if (config.database.kind === "pglite") {
  const dataDirProblem = await prepareDataDir(config.dataDir);
  if (dataDirProblem) {
    console.error(`Configuration error: ${dataDirProblem}`);
    process.exit(1);
  }
  const socketPath = controlSocketPath(config.dataDir);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await sendToControlSocket(socketPath, { argv, stdin });
    if (response) {
      for (const line of response.out) console.log(line);
      for (const line of response.err) console.error(line);
      process.exit(response.code);
    }
    const locked = await acquireDataDirLock(config.dataDir);
    if (locked.ok) {
      dataDirLock = locked.lock;
      break;
    }
    // The server holds the folder but its socket is not up yet: it is still starting.
    if (Date.now() > deadline) {
      console.error(
        `The server (pid ${locked.heldBy}) holds ${config.dataDir} but does not answer.`,
      );
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// Restoring loads into an empty database: no app is built on it first (it would migrate it).
if (argv[0] === "db" && argv[1] === "restore") {
  let code = 1;
  try {
    code = await restoreCommand(config.database, argv[2], {
      out: console.log,
      err: console.error,
    });
  } catch (error) {
    console.error(
      isDomainError(error) ? error.message : explainDatabaseError(error, config.database),
    );
  } finally {
    await dataDirLock?.release();
  }
  process.exit(code);
}

const logger = createLogger({ level: config.logLevel === "info" ? "warn" : config.logLevel });
let app: Awaited<ReturnType<typeof buildApp>>;
try {
  app = await buildApp({ ...config, role: "web" }, { logger });
} catch (error) {
  console.error(explainDatabaseError(error, config.database));
  await dataDirLock?.release();
  process.exit(1);
}
let code = 1;
try {
  code = await runCommand(app, argv, { stdin, out: console.log, err: console.error });
} finally {
  await app.close();
  await dataDirLock?.release();
}
process.exit(code);

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

function withExportFile(args: string[]): string[] {
  const [group, action, username, file] = args;
  if (group !== "user" || action !== "export" || !username) return args;
  return ["user", "export", username, resolve(file ?? exportFileName(username, new Date()))];
}
