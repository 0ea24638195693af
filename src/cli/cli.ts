/**
 * The command line: flags → command → use case → output and exit code.
 * The only code that reads flags, prompts, or decides what is printed.
 *
 * @module
 */

import {
  Command,
  CommanderError,
  InvalidArgumentError,
  Option,
} from "@commander-js/extra-typings";
import { AppError, ExitCode, UsageError } from "../errors.ts";
import { redact } from "../redact.ts";
import { stripControl } from "./output.ts";
import { runLoginCommand } from "./commands/login.ts";
import { runBackupCommand } from "./commands/backup.ts";
import { runStatusCommand } from "./commands/status.ts";
import { runVerifyCommand } from "./commands/verify.ts";
import { runImportCommand } from "./commands/import.ts";
import { type CliDeps, DEFAULT_DIR } from "./options.ts";
import { AUTO_CAP, AUTO_FLOOR } from "../app/backup_run.ts";
import { runSiteCommand } from "./commands/site.ts";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32) {
    throw new InvalidArgumentError("expected a whole number from 1 to 32");
  }
  return n;
}

/** `--concurrency`: a number fixes the downloads at once; "auto" adapts. */
function concurrency(value: string): number | "auto" {
  return value === "auto" ? "auto" : positiveInt(value);
}

function concurrencyOption(suffix = "") {
  return new Option(
    "-c, --concurrency <n>",
    `downloads at once, 1 to 32 (default: auto, ${AUTO_FLOOR} to ${AUTO_CAP} adapted to the file sizes)${suffix}`,
  ).argParser(concurrency);
}

function callsPerHour(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3600) {
    throw new InvalidArgumentError(
      "expected API calls per hour, a whole number from 1 to 3600 (Flickr's limit per key)",
    );
  }
  return n;
}

/** `--api-budget`, shared by `backup` and `verify --repair`. */
function apiBudgetOption() {
  return new Option(
    "--api-budget <calls>",
    "most Flickr API calls in any hour, counted across runs on this folder (lower it when other tools share the API key)",
  ).default(3600).argParser(callsPerHour);
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError("expected a number of seconds above 0");
  }
  return n;
}

function nonNegativeSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError("expected a number of seconds (0 or more)");
  }
  return n;
}

function nonNegativeMs(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError("expected milliseconds (0 or more)");
  }
  return n;
}

/** Builds the commander program (exposed for `--help` tests). */
export function buildProgram(
  deps: CliDeps,
  setResult: (code: number) => void,
) {
  const program = new Command()
    .name("flickr-backup")
    .description(
      "Back up a whole Flickr account — original photos and videos, albums as folders, metadata in the files and in JSON sidecars — and keep it current.",
    )
    .version(
      `flickr-backup ${deps.version} (deno ${Deno.version.deno})`,
      "-V, --version",
    )
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => deps.terminal.out(text),
      writeErr: (text) => deps.terminal.err(text),
      // Plain help text; also keeps commander from reading colour env vars
      // the release permission set does not grant.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .exitOverride();

  const dirOption = () =>
    new Option("-d, --dir <dir>", `backup folder (default "${DEFAULT_DIR}")`)
      .env("FLICKR_BACKUP_DIR");
  const keyOption = () =>
    new Option("--api-key <key>", "Flickr API key").env("FLICKR_API_KEY");
  const secretOption = () =>
    new Option("--api-secret <secret>", "Flickr API secret").env(
      "FLICKR_API_SECRET",
    );

  program.command("login")
    .description(
      "Sign in to Flickr (read-only access) and save the sign-in in the backup folder",
    )
    .addOption(dirOption())
    .addOption(keyOption())
    .addOption(secretOption())
    .option("-q, --quiet", "print only errors")
    .addHelpText(
      "after",
      `
Examples:
  flickr-backup login --dir ~/flickr --api-key KEY --api-secret SECRET
  echo 123-456-789 | flickr-backup login --dir ~/flickr   (key and secret from FLICKR_API_KEY / FLICKR_API_SECRET)`,
    )
    .action(async (options) => {
      setResult(await runLoginCommand(deps, options));
    });

  program.command("backup", { isDefault: true })
    .description(
      "Download everything not yet in the backup folder (the default command)",
    )
    .addOption(dirOption())
    .addOption(keyOption())
    .addOption(secretOption())
    .addOption(concurrencyOption())
    .addOption(apiBudgetOption())
    .addOption(
      new Option(
        "--album-links <mode>",
        "how a photo in several albums appears in the other album folders",
      ).choices(["hardlink", "copy", "symlink"] as const).default(
        "hardlink" as const,
      ),
    )
    .option(
      "--originals-only",
      "skip photos whose original Flickr does not offer (instead of saving the largest size)",
    )
    .option("--no-embed", "write metadata only to the JSON sidecars")
    .option(
      "--no-site",
      "do not refresh the offline site (index.html) after the run",
    )
    .option(
      "--full",
      "list the whole account instead of only what changed since the last run",
    )
    .option(
      "--prune",
      "move photos deleted on Flickr to <dir>/.trash/<date>/ (never deletes; refused when Flickr's listing looks wrong)",
    )
    .addOption(
      new Option(
        "--timeout <seconds>",
        "give up on a download that receives nothing for this long, then retry it",
      ).default(120).argParser(positiveSeconds),
    )
    .addOption(
      new Option(
        "--retry-for <seconds>",
        "after the main pass, keep retrying items that failed for a network reason for up to this long (0: no extra pass)",
      ).default(600).argParser(nonNegativeSeconds),
    )
    .addOption(
      new Option("--retry-delay <ms>", "first retry delay (tests)")
        .default(1000).argParser(nonNegativeMs).hideHelp(),
    )
    .option("-q, --quiet", "print only errors and the final summary")
    .addHelpText(
      "after",
      `
Examples:
  flickr-backup                                  back up into ./flickr_backup (asks what it needs on a terminal)
  flickr-backup backup --dir ~/flickr --quiet    from cron: silent unless something fails
  flickr-backup backup --dir /mnt/photos --album-links copy --concurrency 8

Exit codes: 0 complete, 2 usage, 3 finished with failures, 4 sign-in refused,
5 Flickr unavailable, 6 another run is using the folder, 7 local problem
(disk full, read-only, damaged state), 130/143 interrupted.`,
    )
    .action(async (options) => {
      setResult(await runBackupCommand(deps, options));
    });

  program.command("status")
    .description(
      "Show what the backup holds and how the last run went (reads the local state only; never calls Flickr)",
    )
    .addOption(dirOption())
    .option("--json", "print the status as JSON (for scripts and monitoring)")
    .addHelpText(
      "after",
      `
Examples:
  flickr-backup status --dir ~/flickr
  flickr-backup status --dir ~/flickr --json | jq .photos`,
    )
    .action(async (options) => {
      setResult(await runStatusCommand(deps, options));
    });

  program.command("verify")
    .description(
      "Check every backed-up file against the state: present, size and SHA-256 as recorded, JPEG structure, sidecars",
    )
    .addOption(dirOption())
    .option(
      "--repair",
      "move bad files to <dir>/.trash/verify-<time>/ and download those photos again",
    )
    .addOption(keyOption())
    .addOption(secretOption())
    .addOption(concurrencyOption(" (--repair)"))
    .addOption(apiBudgetOption())
    .addOption(
      new Option(
        "--album-links <mode>",
        "how a photo in several albums appears in the other album folders (--repair)",
      ).choices(["hardlink", "copy", "symlink"] as const).default(
        "hardlink" as const,
      ),
    )
    .option("--no-embed", "write metadata only to the JSON sidecars (--repair)")
    .addOption(
      new Option("--timeout <seconds>", "download stall timeout (--repair)")
        .default(120).argParser(positiveSeconds),
    )
    .addOption(
      new Option("--retry-delay <ms>", "first retry delay (tests)")
        .default(1000).argParser(nonNegativeMs).hideHelp(),
    )
    .option("-q, --quiet", "print only problems and the final result")
    .addHelpText(
      "after",
      `
Examples:
  flickr-backup verify --dir ~/flickr             read every file back; exit 0 if all is well, 3 if not
  flickr-backup verify --dir ~/flickr --repair    fetch the damaged or missing files again from Flickr`,
    )
    .action(async (options) => {
      setResult(
        await runVerifyCommand(deps, options, {
          runBackup: runBackupCommand,
        }),
      );
    });

  program.command("import")
    .description(
      'Import Flickr\'s own data export (the zips of "Request my Flickr data") into the backup folder: offline, no API key needed (free accounts)',
    )
    .argument(
      "<export...>",
      "the export's zips, or folders holding them or their unzipped files",
    )
    .addOption(dirOption())
    .addOption(
      new Option(
        "--album-links <mode>",
        "how a photo in several albums appears in the other album folders",
      ).choices(["hardlink", "copy", "symlink"] as const).default(
        "hardlink" as const,
      ),
    )
    .option("--no-embed", "write metadata only to the JSON sidecars")
    .option(
      "--no-site",
      "do not refresh the offline site (index.html) after the import",
    )
    .option("-q, --quiet", "print only problems and the final summary")
    .addHelpText(
      "after",
      `
Examples:
  flickr-backup import --dir ~/flickr ~/Downloads/*.zip
  flickr-backup import --dir ~/flickr ~/Downloads/flickr-export/

Reads the zips where they are (nothing is unzipped to a temp folder), tells
account-data and media zips apart by what they hold, and builds the same
folders, sidecars and embedded metadata as "backup". Safe to run again, and
to run on a folder that already holds an API backup. Exit codes as "backup";
3 when a zip is damaged or a file could not be imported.`,
    )
    .action(async (inputs, options) => {
      setResult(await runImportCommand(deps, inputs, options));
    });

  program.command("site")
    .description(
      "Write or refresh the offline site of the backup: open index.html in the backup folder to browse albums, photos, tags, timeline and search without Flickr (backup refreshes it after each run)",
    )
    .addOption(dirOption())
    .option("-q, --quiet", "print only errors")
    .addHelpText(
      "after",
      `
Examples:
  flickr-backup site --dir ~/flickr     then open ~/flickr/index.html (works from the disk, no server)`,
    )
    .action(async (options) => {
      setResult(await runSiteCommand(deps, options));
    });

  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function runCli(args: string[], deps: CliDeps): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = buildProgram(deps, (result) => code = result);
  try {
    // "backup" is the default command, so a mistyped command would read as
    // an argument of it ("too many arguments"): name the real problem.
    const first = args[0];
    const commands = program.commands.map((command) => command.name());
    if (
      first !== undefined && !first.startsWith("-") &&
      !commands.includes(first) && first !== "help"
    ) {
      throw new UsageError(
        `unknown command "${first}" (commands: ${
          commands.join(", ")
        }; run with --help for usage)`,
      );
    }
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (error) {
    return reportError(error, deps);
  }
}

/** Prints an error the way users should see it and returns its exit code. */
export function reportError(error: unknown, deps: CliDeps): number {
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" || error.code === "commander.help"
    ) return ExitCode.Ok;
    return ExitCode.Usage; // commander has already printed the message
  }
  if (error instanceof AppError) {
    deps.terminal.err(`error: ${stripControl(redact(error.message))}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error
    ? `${error.stack ?? error.message}`
    : String(error);
  deps.terminal.err(
    `error: unexpected failure (a bug): ${
      redact(text)
    }\nPlease report it with the log file from the backup folder.\n`,
  );
  return ExitCode.Bug;
}
