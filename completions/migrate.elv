
use builtin;
use str;

set edit:completion:arg-completer[migrate] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'migrate'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'migrate'= {
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand lint 'Lint migrations: files, directories, or `-` for stdin'
            cand rules 'List the lint rules'
            cand explain 'Print one rule''s documentation'
            cand plan 'Write the zero-downtime (expand / backfill / contract) version of a naive migration'
            cand apply 'Apply pending migration phases (expand by default)'
            cand rollback 'Roll back applied phases with the down SQL stored when they ran'
            cand status 'Versions by phase with their state: pending, applied, failed, edited'
            cand baseline 'Mark migrations up to a version applied without running them'
            cand repair 'Accept edited checksums of applied migrations, clear failed states (logged)'
            cand rollout 'Rollout events (the `recorded` contract gate)'
            cand new 'Create a new migration in the migrations directory'
            cand gate 'Contract gates: each gate''s verdict and why'
            cand hook 'Job mode for Kubernetes Jobs, Helm and Argo CD hooks'
            cand serve 'HTTP server for deployment controllers (Flagger, Argo Rollouts, Spinnaker)'
            cand verify 'Prove on a scratch database that every down restores the schema and that the old and new application''s queries prepare at every phase'
            cand purge 'Drop soft-dropped columns and tables (`_sluice_dropped_*`) whose contract is old enough'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand lsp 'Language server over stdio: lint diagnostics, rule docs and fixes in the editor'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'migrate;lint'= {
            cand --format 'Output format'
            cand --fail-on 'Lowest severity that makes the exit code 1 (default from config, else error)'
            cand --dialect 'SQL dialect (default from config, else postgres)'
            cand --format-layout 'Directory layout (default from config, else auto-detected)'
            cand --runner 'Whose runner applies the files (decides transaction wrapping)'
            cand --stdin-filename 'File name to report for `-` (stdin)'
            cand --base 'Git ref: only migrations added or changed since it (plus uncommitted ones) are linted; the others are history, replayed into the schema catalog. Also enables the deploy-boundary rules that need to know which application code changed'
            cand --schema-from 'Read the existing schema (and row estimates) from this live PostgreSQL database instead of replaying history: everything given is the change set'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;rules'= {
            cand --format 'format'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;explain'= {
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;plan'= {
            cand --out 'Write the phased migration into this directory (created; must be empty unless --force). Into a migrations directory of another layout (`--out DIR` or `--out DIR/<version>_<name>`), the phases become migrations of that layout: the expand (with its backfill) at the planned version, the contract at the next one. Without it, the files are printed'
            cand --format 'files: the SQL and TOML files; json: the plan as data (phases, steps, locks, costs)'
            cand --schema-from 'Seed the schema from a live PostgreSQL database instead of the earlier migrations'
            cand --dialect 'Dialect (default: from sluice.toml, else postgres)'
            cand --rename-column 'PostgreSQL `RENAME COLUMN`: copy (a second column kept equal by a trigger, filled in batches, swapped at contract) or view (no row written: the table steps aside and a view under its name shows the column under both names until the contract; the application meets a view, on which COPY, TRUNCATE and LOCK fail, during the rollout). Default: `[plan] rename_column` of sluice.toml, else copy'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand --force 'Replace files already in --out'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;apply'= {
            cand --phase 'Which phases: expand (before the rollout, the default; then the backfills unless --no-backfill), backfill, contract (after the rollout, when its gate holds and its backfill is complete), or all (expand, backfill, then contracts whose gate holds)'
            cand --to 'Apply only up to this version (inclusive)'
            cand --release 'Release id stored with each applied phase'
            cand --lock-wait 'How long to wait for another runner''s lock (default 5m; e.g. 30s)'
            cand --wait 'When a contract waits on its gate, poll for up to this long instead of exiting 3'
            cand --allow 'Let the apply check pass findings of this lint rule (repeatable); each one let through is recorded in the ledger''s events with who allowed it'
            cand --fleet 'Apply to every target of `[fleet.NAME]` in sluice.toml, in its waves (no DATABASE_URL needed)'
            cand --shard 'With --fleet: take the I-th (from 0) of N disjoint slices of every wave; `/N` takes I from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). Shards meet at the end of each wave'
            cand --run 'With --shard: the id every shard of this attempt shares (e.g. the Job''s uid); a new attempt takes a new one'
            cand --format 'With --fleet: the waves and their targets as human text or one JSON object'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand --dry-run 'Print the exact SQL that would run (session settings and ledger writes included)'
            cand --no-backfill 'With `--phase expand`: leave the backfills for a later `--phase backfill`'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;rollback'= {
            cand --steps 'Roll back the last N applied phases (default 1)'
            cand --to 'Roll back every phase of versions newer than this one (`0`: everything)'
            cand --phase 'phase'
            cand --lock-wait 'How long to wait for another runner''s lock (default 5m)'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand --dry-run 'Print the SQL that would run'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;status'= {
            cand --format 'format'
            cand --fleet 'Every target of `[fleet.NAME]`: a table of targets x phases, then the failures'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;baseline'= {
            cand --dir 'Migrations directory (default from config, else ./migrations)'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;repair'= {
            cand --version 'Only this version (default: every edited or failed migration)'
            cand --dir 'Migrations directory (default from config, else ./migrations)'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'migrate;rollout'= {
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand complete 'Record that a rollout has completed (the `recorded` contract gate)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'migrate;rollout;complete'= {
            cand --release 'The release that finished rolling out'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;rollout;help'= {
            cand complete 'Record that a rollout has completed (the `recorded` contract gate)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'migrate;rollout;help;complete'= {
        }
        &'migrate;rollout;help;help'= {
        }
        &'migrate;new'= {
            cand --dir 'Migrations directory (default from config, else ./migrations)'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand --phased 'Create a phased migration (expand and contract scripts)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;gate'= {
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Ask every gate of the environment and print its verdict and why'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'migrate;gate;check'= {
            cand --phase 'The gated phase (only contract has a gate)'
            cand --wait 'Poll for up to this long until the gate holds, instead of exiting 3 at once'
            cand --format 'format'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;gate;help'= {
            cand check 'Ask every gate of the environment and print its verdict and why'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'migrate;gate;help;check'= {
        }
        &'migrate;gate;help;help'= {
        }
        &'migrate;hook'= {
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand pre-deploy 'Before the new code rolls out: apply expand (then backfill). Idempotent by release'
            cand post-deploy 'After it rolled out: record the rollout, then apply contract when its gate holds'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'migrate;hook;pre-deploy'= {
            cand --release 'The release being deployed (image tag, chart revision)'
            cand --max-duration 'Stop after the phase running at this time (exit 3); the next call continues'
            cand --scratch-url 'The scratch server for --verify (default: `[verify] scratch_url` in sluice.toml)'
            cand --verify-rows 'Rows generated in each table of the history for --verify (`migrate verify --rows`); 0: none'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand --verify 'First prove the pending migrations with `migrate verify` on a scratch database (`--scratch-url` or `[verify] scratch_url`); nothing is applied unless they are proven'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;hook;post-deploy'= {
            cand --release 'The release that finished rolling out'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;hook;help'= {
            cand pre-deploy 'Before the new code rolls out: apply expand (then backfill). Idempotent by release'
            cand post-deploy 'After it rolled out: record the rollout, then apply contract when its gate holds'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'migrate;hook;help;pre-deploy'= {
        }
        &'migrate;hook;help;post-deploy'= {
        }
        &'migrate;hook;help;help'= {
        }
        &'migrate;serve'= {
            cand --listen 'Address to listen on'
            cand --token-file 'File holding the bearer token /v1 requests must send (else env SLUICE_TOKEN)'
            cand --hmac-key-file 'File holding the HMAC-SHA256 key of `X-Sluice-Signature` (else env SLUICE_HMAC_KEY)'
            cand --gate-poll 'While a contract started by post-rollout waits on its gate, ask again this often'
            cand --gate-wait '...for at most this long'
            cand --fleet-refresh 'Read every `[fleet.<name>]` of sluice.toml this often, for GET /v1/fleets/{name} and the fleet metrics'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;verify'= {
            cand --base 'Git ref: the migrations added or changed since it are the change, the others history'
            cand --scratch-url 'A server and a role that may create databases (default: `[verify] scratch_url` in sluice.toml). Verify creates a database of its own there and drops it; it never runs on DATABASE_URL''s database'
            cand --old-queries 'The running application''s SQL (one statement each, `$1` or `?` parameters): prepared before the change, after the expand and after the backfill'
            cand --new-queries 'The new application''s SQL: prepared from the end of the expand on and after the contract'
            cand --queries-from-pg-stat-statements 'Read the old application''s queries from this (production) database''s pg_stat_statements: read only, the normalized query texts alone'
            cand --rows 'Rows generated in each of the history''s tables before the change is verified (they respect types, NOT NULL, UNIQUE and foreign keys), so steps and backfills run on data and a down that loses data fails; 0: none'
            cand --setup 'SQL run on the scratch database before the history, each time verify creates it: what your deployment does outside its migrations (`CREATE EXTENSION`, roles)'
            cand --naive 'The naive migration the change was planned from (a copy: `migrate plan` replaces it; its up file, named as its layout names it): every phase of the change up once must leave the schema and, with --rows, the data that it leaves on the same history'
            cand --format 'Output format'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand --all 'Verify every migration of the directories (each one''s round trip in turn)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;purge'= {
            cand --older-than 'Drop objects whose soft-dropping contract finished longer ago than this (e.g. 7d)'
            cand --lock-wait 'How long to wait for another runner''s lock (default 5m)'
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand --dry-run 'Only list what would be dropped'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;completions'= {
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;lsp'= {
            cand --config 'Config file (default: `sluice.toml` in this directory or the nearest parent)'
            cand --log-format 'Log line format (logs go to stderr)'
            cand --color 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset'
            cand --database-url 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password'
            cand --env 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)'
            cand --stdio 'Talk over stdin / stdout (the only transport; accepted because editors pass it)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors in the log'
            cand --quiet 'Only errors in the log'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'migrate;help'= {
            cand lint 'Lint migrations: files, directories, or `-` for stdin'
            cand rules 'List the lint rules'
            cand explain 'Print one rule''s documentation'
            cand plan 'Write the zero-downtime (expand / backfill / contract) version of a naive migration'
            cand apply 'Apply pending migration phases (expand by default)'
            cand rollback 'Roll back applied phases with the down SQL stored when they ran'
            cand status 'Versions by phase with their state: pending, applied, failed, edited'
            cand baseline 'Mark migrations up to a version applied without running them'
            cand repair 'Accept edited checksums of applied migrations, clear failed states (logged)'
            cand rollout 'Rollout events (the `recorded` contract gate)'
            cand new 'Create a new migration in the migrations directory'
            cand gate 'Contract gates: each gate''s verdict and why'
            cand hook 'Job mode for Kubernetes Jobs, Helm and Argo CD hooks'
            cand serve 'HTTP server for deployment controllers (Flagger, Argo Rollouts, Spinnaker)'
            cand verify 'Prove on a scratch database that every down restores the schema and that the old and new application''s queries prepare at every phase'
            cand purge 'Drop soft-dropped columns and tables (`_sluice_dropped_*`) whose contract is old enough'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand lsp 'Language server over stdio: lint diagnostics, rule docs and fixes in the editor'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'migrate;help;lint'= {
        }
        &'migrate;help;rules'= {
        }
        &'migrate;help;explain'= {
        }
        &'migrate;help;plan'= {
        }
        &'migrate;help;apply'= {
        }
        &'migrate;help;rollback'= {
        }
        &'migrate;help;status'= {
        }
        &'migrate;help;baseline'= {
        }
        &'migrate;help;repair'= {
        }
        &'migrate;help;rollout'= {
            cand complete 'Record that a rollout has completed (the `recorded` contract gate)'
        }
        &'migrate;help;rollout;complete'= {
        }
        &'migrate;help;new'= {
        }
        &'migrate;help;gate'= {
            cand check 'Ask every gate of the environment and print its verdict and why'
        }
        &'migrate;help;gate;check'= {
        }
        &'migrate;help;hook'= {
            cand pre-deploy 'Before the new code rolls out: apply expand (then backfill). Idempotent by release'
            cand post-deploy 'After it rolled out: record the rollout, then apply contract when its gate holds'
        }
        &'migrate;help;hook;pre-deploy'= {
        }
        &'migrate;help;hook;post-deploy'= {
        }
        &'migrate;help;serve'= {
        }
        &'migrate;help;verify'= {
        }
        &'migrate;help;purge'= {
        }
        &'migrate;help;completions'= {
        }
        &'migrate;help;lsp'= {
        }
        &'migrate;help;help'= {
        }
    ]
    $completions[$command]
}
