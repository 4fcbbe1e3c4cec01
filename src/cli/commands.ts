import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { ProfileImages } from "../accounts/profile-service.ts";
import { isMemberRole, MEMBER_ROLES } from "../accounts/roles-service.ts";
import type { App } from "../app.ts";
import { createInstanceIncidenceStore } from "../exposure/instance-incidence.ts";
import { listDeadJobs, retryDeadJobs } from "../federation/dead-letters.ts";
import { isPhotoRejectedError } from "../media/photo-processor.ts";
import { DomainError, isDomainError } from "../shared/errors.ts";
import { option, options, positional } from "./args.ts";
import type { CliIo } from "./cli-io.ts";
import { dumpCommand, mediaMigrateCommand, RESTORE_NEEDS_STOPPED_SERVER } from "./data-commands.ts";
import { MODERATION_USAGE, runModerationCommand } from "./moderation-commands.ts";
import { REPORTS_USAGE, reportsCommand } from "./reports-command.ts";

export type { CliIo } from "./cli-io.ts";

export const USAGE = `Usage: npm run cli -- <command>

  user create <username> [--display-name "Name"] [--manual-approval] [--role admin]
                                   create a member; a password piped on stdin is used,
                                   otherwise one is generated and printed once
                                   (--role admin: the first admin, who opens /admin)
  user edit <username> [--display-name "Name"] [--bio "text" | --bio -]
            [--field "name=value"]... [--no-fields]
            [--avatar path] [--header path] [--remove-avatar] [--remove-header]
                                   change a member's profile (--bio - reads it from stdin;
                                   --field, repeated up to 4 times, replaces every field);
                                   their followers receive the new profile
  user password <username> [--stdin]
                                   give a member a new password (a forgotten one): a random
                                   one printed once, or the first line of stdin with --stdin;
                                   every web session of the member ends
  user delete <username> --yes     delete a member's account for good: their encounters are
                                   deleted here and on other servers, their followers' servers
                                   are told the account is gone, their tracker and profile are
                                   erased; the name stays reserved (refused without --yes)
  user export <username> [file]    write the member's archive (the one of /settings/export:
                                   profile, encounters, photos, private tracker, Mastodon CSVs)
                                   to file, by default <username>-export-<date>.zip
  user list                        list the members
  user role <username> admin|moderator|member
                                   give a member a role (the last admin stays admin)
  token create <username> [--label text]
                                   print a new bearer token for the member's API clients
  follow <username> <actor>        follow a fediverse account (actor URL or @user@host)
  unfollow <username> <actor-url>  stop following it
  followers <username> [--pending] list followers (or follow requests waiting for approval)
  followers approve <username> <actor-url>
  followers reject <username> <actor-url>
  tracker incidence <cases per 100,000 a week> [test positivity 0–1]
                                   the local epidemic figures for pandemic mode, for every member
                                   who set none ("tracker incidence clear" removes them)
  queue dead                       list the deliveries (and other jobs) that ran out of attempts
  queue retry <id|--all>           give one dead job, or all of them, a fresh set of attempts
  db migrate                       apply database migrations (start does it too)
${REPORTS_USAGE}
  db export <file.sql>             the embedded database as a pg_dump SQL file, to load into
                                   PostgreSQL (psql -f, or db restore); works while it runs
  db backup <file.sql>             the same SQL dump, of either database (PostgreSQL: pg_dump)
  db restore <file.sql>            load a dump into an empty database (the server stopped)
  media migrate                    copy the photos from DATA_DIR/media to the S3 bucket
                                   (S3_BUCKET…); run it again to resume, it skips what is there
${MODERATION_USAGE}`;

/** Runs one CLI command against a built app; returns the process exit code. */
export async function runCommand(app: App, argv: string[], io: CliIo): Promise<number> {
  const [group, action, ...rest] = argv;
  try {
    switch (`${group} ${action ?? ""}`.trim()) {
      case "user create": {
        const [username] = positional(rest, 1, "user create <username>");
        const password = io.stdin?.split(/\r?\n/)[0]?.trim() || undefined;
        const role = option(rest, "--role");
        if (role !== undefined && !isMemberRole(role)) {
          throw new DomainError("invalid", `--role must be ${MEMBER_ROLES.join(", ")}.`);
        }
        const { member, generatedPassword } = await app.members.create({
          username: username as string,
          password,
          displayName: option(rest, "--display-name"),
          manuallyApprovesFollowers: rest.includes("--manual-approval"),
          role,
        });
        io.out(
          `Created @${member.username}@${app.urls.origin.host} (${app.urls.actor(member.username).href})${member.role === "member" ? "" : `, ${member.role}`}`,
        );
        if (generatedPassword) io.out(`Password (shown once): ${generatedPassword}`);
        return 0;
      }
      case "user edit":
        return await editProfile(app, rest, io);
      case "user password": {
        const [username] = positional(rest, 1, "user password <username> [--stdin]");
        let password: string | undefined;
        if (rest.includes("--stdin")) {
          password = io.stdin?.split(/\r?\n/)[0]?.trim() ?? "";
          if (!password) {
            throw new DomainError(
              "invalid",
              "--stdin reads the new password from stdin: pipe it in (echo 'new password' | …).",
            );
          }
        }
        const { member, generatedPassword, endedSessions } = await app.memberPasswords.set(
          username as string,
          password,
        );
        io.out(
          `New password for @${member.username}; ${endedSessions} web session${endedSessions === 1 ? "" : "s"} ended.`,
        );
        if (generatedPassword) io.out(`Password (shown once): ${generatedPassword}`);
        return 0;
      }
      case "user delete": {
        const [username] = positional(rest, 1, "user delete <username> --yes");
        if (!rest.includes("--yes")) {
          io.err(
            `Deleting @${username} cannot be undone: their encounters are deleted here and elsewhere, their tracker erased, their name kept reserved. Run it again with --yes to confirm.`,
          );
          return 1;
        }
        const done = await app.accountDeletion.deleteAccount(username as string);
        io.out(
          `Deleted @${done.username}: ${done.encounters} encounters, ${done.replies} replies, ${done.cosignaturesWithdrawn} co-signatures withdrawn, ${done.likesUndone} likes undone, ${done.followsUndone} follows undone, ${done.followersRemoved} followers removed; the name stays reserved.`,
        );
        return 0;
      }
      case "user export": {
        const [username, file] = positional(rest, 1, "user export <username> [file]");
        const path = resolve(file ?? exportFileName(username as string, new Date()));
        const bytes = await app.accountExports.buildArchive(username as string);
        await writeFile(path, bytes, { mode: 0o600 });
        io.out(`Wrote the archive of @${username} to ${path} (${bytes.length} bytes).`);
        return 0;
      }
      case "user list": {
        for (const member of await app.members.list(10_000)) {
          io.out(
            `@${member.username}\t${member.displayName}\t${app.urls.actor(member.username).href}\t${member.role}`,
          );
        }
        return 0;
      }
      case "user role": {
        const [username, role] = positional(rest, 2, "user role <username> admin|moderator|member");
        if (!isMemberRole(role)) {
          throw new DomainError("invalid", `The role must be ${MEMBER_ROLES.join(", ")}.`);
        }
        const member = await app.roles.setRole(username as string, role);
        io.out(`@${member.username} is now ${member.role}.`);
        return 0;
      }
      case "token create": {
        const [username] = positional(rest, 1, "token create <username>");
        io.out(await app.members.createToken(username as string, option(rest, "--label") ?? "cli"));
        return 0;
      }
      case "ping":
        return 0;
      case "tracker incidence": {
        const [incidence, positivity] = positional(
          rest,
          1,
          "tracker incidence <per 100,000> [positivity]",
        );
        const store = createInstanceIncidenceStore(app.database.db);
        const figure = (text: string | undefined) => {
          if (text === undefined) return null;
          const value = Number(text.replace(",", "."));
          if (!Number.isFinite(value))
            throw new DomainError("invalid", `"${text}" is not a number.`);
          return value;
        };
        if (incidence === "clear") {
          await store.set({ weeklyIncidence: null, testPositivity: null });
          io.out("The instance's epidemic figures are removed.");
          return 0;
        }
        await store.set({ weeklyIncidence: figure(incidence), testPositivity: figure(positivity) });
        io.out(
          `Weekly incidence ${incidence} per 100,000${positivity ? `, test positivity ${positivity}` : ""}.`,
        );
        return 0;
      }
      case "queue dead": {
        const jobs = await listDeadJobs(app.database);
        if (jobs.length === 0) io.out("No dead job: every failed delivery is still being retried.");
        for (const job of jobs) {
          const what =
            job.kind === "outbox" ? `${job.activityType ?? "?"} → ${job.inbox}` : job.kind;
          io.out(
            `${job.id}\t${job.deadAt.toISOString()}\t${job.attempts} attempts\t${what}\t${job.lastError ?? ""}`,
          );
        }
        return 0;
      }
      case "queue retry": {
        const [which] = rest;
        const all = rest.includes("--all");
        if (!all && !(which && /^\d{1,18}$/.test(which))) {
          throw new DomainError(
            "invalid",
            "Usage: npm run cli -- queue retry <id|--all> (the ids are listed by `queue dead`).",
          );
        }
        const count = await retryDeadJobs(app.database, all ? "all" : Number(which));
        if (!all && count === 0) throw new DomainError("invalid", `No dead job ${which}.`);
        io.out(`${count} job${count === 1 ? "" : "s"} queued again; a worker runs them now.`);
        return 0;
      }
      case "db migrate": {
        await app.database.migrate();
        io.out("Database is up to date.");
        return 0;
      }
      case "db export":
      case "db backup":
        return await dumpCommand(app, action as "export" | "backup", rest[0], io);
      case "db restore":
        // The CLI runs it itself (src/cli/main.ts); here it reached a running server.
        throw new DomainError("invalid", RESTORE_NEEDS_STOPPED_SERVER);
      case "media migrate":
        return await mediaMigrateCommand(app, io);
    }
    switch (group) {
      case "follow": {
        const [username, target] = positional(
          [action ?? "", ...rest],
          2,
          "follow <username> <actor>",
        );
        const actor = await app.remoteLookup.lookupActor(target as string);
        await app.follows.follow(username as string, actor);
        io.out(`@${username} asked to follow ${actor.iri}; it is delivered by the worker.`);
        return 0;
      }
      case "unfollow": {
        const [username, target] = positional(
          [action ?? "", ...rest],
          2,
          "unfollow <username> <actor-url>",
        );
        await app.follows.unfollow(username as string, target as string);
        io.out(`@${username} no longer follows ${target}.`);
        return 0;
      }
      case "followers":
        return await followersCommand(app, [action ?? "", ...rest], io);
      case "reports":
        return await reportsCommand(app, [action ?? "", ...rest], io);
    }
    const moderation = await runModerationCommand(app, group, action, rest, io);
    if (moderation !== undefined) return moderation;
    io.err(USAGE);
    return 2;
  } catch (error) {
    if (isDomainError(error) || isPhotoRejectedError(error)) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

async function editProfile(app: App, args: string[], io: CliIo): Promise<number> {
  const [username] = positional(args, 1, "user edit <username> [--bio text] [--field name=value]…");
  const patch: Record<string, unknown> = {};
  const displayName = option(args, "--display-name");
  if (displayName !== undefined) patch.displayName = displayName;
  const bio = option(args, "--bio");
  if (bio === "-" && io.stdin === undefined) {
    throw new DomainError("invalid", "--bio - reads the bio from stdin: pipe it in.");
  }
  if (bio !== undefined) patch.bio = bio === "-" ? io.stdin : bio;
  const fields = options(args, "--field");
  if (args.includes("--no-fields")) patch.fields = [];
  if (fields.length > 0) {
    patch.fields = fields.map((field) => {
      const at = field.indexOf("=");
      if (at < 0) {
        throw new DomainError("invalid", `--field "${field}" must be written name=value.`);
      }
      return { name: field.slice(0, at), value: field.slice(at + 1) };
    });
  }
  const images: ProfileImages = {};
  for (const kind of ["avatar", "header"] as const) {
    const path = option(args, `--${kind}`);
    if (path !== undefined && args.includes(`--remove-${kind}`)) {
      throw new DomainError("invalid", `--${kind} and --remove-${kind} cannot go together.`);
    }
    if (args.includes(`--remove-${kind}`)) images[kind] = null;
    if (path !== undefined) images[kind] = await readImage(path, kind);
  }
  if (Object.keys(patch).length === 0 && Object.keys(images).length === 0) {
    throw new DomainError(
      "invalid",
      "Say what to change: --display-name, --bio, --field, --no-fields, --avatar, --header, --remove-avatar or --remove-header.",
    );
  }
  const { profile, changed } = await app.profiles.update(username as string, patch, images);
  if (!changed) {
    io.out(`@${profile.username}'s profile already was so: nothing was sent.`);
    return 0;
  }
  io.out(`Updated @${profile.username}'s profile; their followers receive it.`);
  if (profile.avatarUrl) io.out(`Avatar: ${profile.avatarUrl}`);
  if (profile.headerUrl) io.out(`Header: ${profile.headerUrl}`);
  return 0;
}

async function readImage(path: string, kind: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DomainError(
      "invalid",
      `The ${kind} ${path} cannot be read${code === "ENOENT" ? ": no such file" : ` (${code ?? "error"})`}.`,
    );
  }
}

async function followersCommand(app: App, args: string[], io: CliIo): Promise<number> {
  const [first] = args;
  if (first === "approve" || first === "reject") {
    const [, username, follower] = positional(args, 3, `followers ${first} <username> <actor-url>`);
    if (first === "approve")
      await app.follows.approveFollower(username as string, follower as string);
    else await app.follows.rejectFollower(username as string, follower as string);
    io.out(`${first === "approve" ? "Approved" : "Rejected"} ${follower}.`);
    return 0;
  }
  const [username] = positional(args, 1, "followers <username> [--pending]");
  const actors = args.includes("--pending")
    ? await app.follows.pendingFollowers(username as string)
    : (await app.follows.followers(username as string, { limit: 10_000 })).items;
  for (const actor of actors) io.out(`${actor.iri}\t@${actor.username}@${actor.host}`);
  return 0;
}

/** The archive's default name: `<username>-export-<date>.zip`. */
export function exportFileName(username: string, at: Date): string {
  return `${username}-export-${at.toISOString().slice(0, 10)}.zip`;
}
