# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_migrate_global_optspecs
    string join \n config= v/verbose q/quiet log-format= color= database-url= env= h/help V/version
end

function __fish_migrate_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_migrate_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_migrate_using_subcommand
    set -l cmd (__fish_migrate_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c migrate -n "__fish_migrate_needs_command" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_needs_command" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_needs_command" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_needs_command" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_needs_command" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_needs_command" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_needs_command" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_needs_command" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_needs_command" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "lint" -d 'Lint migrations: files, directories, or `-` for stdin'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "rules" -d 'List the lint rules'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "explain" -d 'Print one rule\'s documentation'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "plan" -d 'Write the zero-downtime (expand / backfill / contract) version of a naive migration'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "apply" -d 'Apply pending migration phases (expand by default)'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "rollback" -d 'Roll back applied phases with the down SQL stored when they ran'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "status" -d 'Versions by phase with their state: pending, applied, failed, edited'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "baseline" -d 'Mark migrations up to a version applied without running them'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "repair" -d 'Accept edited checksums of applied migrations, clear failed states (logged)'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "rollout" -d 'Rollout events (the `recorded` contract gate)'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "new" -d 'Create a new migration in the migrations directory'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "gate" -d 'Contract gates: each gate\'s verdict and why'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "hook" -d 'Job mode for Kubernetes Jobs, Helm and Argo CD hooks'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "serve" -d 'HTTP server for deployment controllers (Flagger, Argo Rollouts, Spinnaker)'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "verify" -d 'Prove on a scratch database that every down restores the schema and that the old and new application\'s queries prepare at every phase'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "purge" -d 'Drop soft-dropped columns and tables (`_sluice_dropped_*`) whose contract is old enough'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "lsp" -d 'Language server over stdio: lint diagnostics, rule docs and fixes in the editor'
complete -c migrate -n "__fish_migrate_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l format -d 'Output format' -r -f -a "human\t'rustc-style snippets with a caret span, notes and a summary line'
json\t'A stable JSON document (`"version": 1`)'
sarif\t'SARIF 2.1.0, for GitHub code scanning and other SARIF viewers'
github\t'GitHub Actions workflow commands (`::error file=..::message`)'
gitlab\t'GitLab Code Quality report (JSON array)'
gcc\t'`path:line:col: severity: message [rule]`, one per line'
markdown\t'A pull-request comment: a summary line, a table of findings, the details folded'"
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l fail-on -d 'Lowest severity that makes the exit code 1 (default from config, else error)' -r -f -a "error\t''
warning\t''"
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l dialect -d 'SQL dialect (default from config, else postgres)' -r -f -a "postgres\t''
mysql\t''
mariadb\t''"
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l format-layout -d 'Directory layout (default from config, else auto-detected)' -r -f -a "native\t'`<version>_<name>/{expand,contract}.{up,down}.sql`, `backfill.toml`'
sqlx\t'`<version>_<name>.sql` or `.up.sql` / `.down.sql`'
golang-migrate\t'`<version>_<name>.up.sql` / `.down.sql`'
flyway\t'`V<version>__<name>.sql`, undo `U<version>__<name>.sql`'
dbmate\t'`<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down` sections'
goose\t'`<version>_<name>.sql` with `-- +goose Up` / `-- +goose Down` sections'
diesel\t'`<version>_<name>/up.sql`, `down.sql` (diesel)'
pop\t'`<version>_<name>[.<dialect>].up.sql` / `.down.sql` (ory/pop): the target dialect\'s files, else the dialect-free ones'"
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l runner -d 'Whose runner applies the files (decides transaction wrapping)' -r -f -a "auto\t'Pick from the layout (sqlx files -> sqlx, ...); native and plain -> sluice'
sluice\t'Wraps each phase in a transaction unless it must not; always sets lock_timeout'
sqlx\t''
golang-migrate\t'Sends each file as one query: PostgreSQL runs a file of several statements as one implicit transaction'
golang-migrate-multi-statement\t'golang-migrate with `x-multi-statement=true`: each statement sent on its own'
flyway\t''
dbmate\t''
goose\t''
diesel\t''
pop\t'ory/pop: each migration in a transaction unless its name says `.autocommit`'"
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l stdin-filename -d 'File name to report for `-` (stdin)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l base -d 'Git ref: only migrations added or changed since it (plus uncommitted ones) are linted; the others are history, replayed into the schema catalog. Also enables the deploy-boundary rules that need to know which application code changed' -r
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l schema-from -d 'Read the existing schema (and row estimates) from this live PostgreSQL database instead of replaying history: everything given is the change set' -r
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand lint" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand lint" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand lint" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand lint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migrate -n "__fish_migrate_using_subcommand lint" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand rules" -l format -r -f -a "human\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rules" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand rules" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rules" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rules" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand rules" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand rules" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand rules" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand rules" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand rules" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand explain" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand explain" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand explain" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand explain" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand explain" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand explain" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand explain" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand explain" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand explain" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l out -d 'Write the phased migration into this directory (created; must be empty unless --force). Into a migrations directory of another layout (`--out DIR` or `--out DIR/<version>_<name>`), the phases become migrations of that layout: the expand (with its backfill) at the planned version, the contract at the next one. Without it, the files are printed' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l format -d 'files: the SQL and TOML files; json: the plan as data (phases, steps, locks, costs)' -r -f -a "files\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l schema-from -d 'Seed the schema from a live PostgreSQL database instead of the earlier migrations' -r
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l dialect -d 'Dialect (default: from sluice.toml, else postgres)' -r -f -a "postgres\t''
mysql\t''
mariadb\t''"
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l rename-column -d 'PostgreSQL `RENAME COLUMN`: copy (a second column kept equal by a trigger, filled in batches, swapped at contract) or view (no row written: the table steps aside and a view under its name shows the column under both names until the contract; the application meets a view, on which COPY, TRUNCATE and LOCK fail, during the rollout). Default: `[plan] rename_column` of sluice.toml, else copy' -r -f -a "copy\t''
view\t''"
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand plan" -l force -d 'Replace files already in --out'
complete -c migrate -n "__fish_migrate_using_subcommand plan" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand plan" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand plan" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand plan" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l phase -d 'Which phases: expand (before the rollout, the default; then the backfills unless --no-backfill), backfill, contract (after the rollout, when its gate holds and its backfill is complete), or all (expand, backfill, then contracts whose gate holds)' -r -f -a "expand\t''
backfill\t''
contract\t''
all\t''"
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l to -d 'Apply only up to this version (inclusive)' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l release -d 'Release id stored with each applied phase' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l lock-wait -d 'How long to wait for another runner\'s lock (default 5m; e.g. 30s)' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l wait -d 'When a contract waits on its gate, poll for up to this long instead of exiting 3' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l allow -d 'Let the apply check pass findings of this lint rule (repeatable); each one let through is recorded in the ledger\'s events with who allowed it' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l fleet -d 'Apply to every target of `[fleet.NAME]` in sluice.toml, in its waves (no DATABASE_URL needed)' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l shard -d 'With --fleet: take the I-th (from 0) of N disjoint slices of every wave; `/N` takes I from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). Shards meet at the end of each wave' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l run -d 'With --shard: the id every shard of this attempt shares (e.g. the Job\'s uid); a new attempt takes a new one' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l format -d 'With --fleet: the waves and their targets as human text or one JSON object' -r -f -a "human\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l dry-run -d 'Print the exact SQL that would run (session settings and ledger writes included)'
complete -c migrate -n "__fish_migrate_using_subcommand apply" -l no-backfill -d 'With `--phase expand`: leave the backfills for a later `--phase backfill`'
complete -c migrate -n "__fish_migrate_using_subcommand apply" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand apply" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand apply" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand apply" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l steps -d 'Roll back the last N applied phases (default 1)' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l to -d 'Roll back every phase of versions newer than this one (`0`: everything)' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l phase -r -f -a "expand\t''
backfill\t''
contract\t''
all\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l lock-wait -d 'How long to wait for another runner\'s lock (default 5m)' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -l dry-run -d 'Print the SQL that would run'
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand rollback" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand status" -l format -r -f -a "human\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand status" -l fleet -d 'Every target of `[fleet.NAME]`: a table of targets x phases, then the failures' -r
complete -c migrate -n "__fish_migrate_using_subcommand status" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand status" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand status" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand status" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand status" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand status" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand status" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand status" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand status" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -l dir -d 'Migrations directory (default from config, else ./migrations)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand baseline" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand repair" -l version -d 'Only this version (default: every edited or failed migration)' -r
complete -c migrate -n "__fish_migrate_using_subcommand repair" -l dir -d 'Migrations directory (default from config, else ./migrations)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand repair" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand repair" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand repair" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand repair" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand repair" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand repair" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand repair" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand repair" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -f -a "complete" -d 'Record that a rollout has completed (the `recorded` contract gate)'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and not __fish_seen_subcommand_from complete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -l release -d 'The release that finished rolling out' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from complete" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from help" -f -a "complete" -d 'Record that a rollout has completed (the `recorded` contract gate)'
complete -c migrate -n "__fish_migrate_using_subcommand rollout; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migrate -n "__fish_migrate_using_subcommand new" -l dir -d 'Migrations directory (default from config, else ./migrations)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand new" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand new" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand new" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand new" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand new" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand new" -l phased -d 'Create a phased migration (expand and contract scripts)'
complete -c migrate -n "__fish_migrate_using_subcommand new" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand new" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand new" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand new" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Ask every gate of the environment and print its verdict and why'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -l phase -d 'The gated phase (only contract has a gate)' -r -f -a "expand\t''
backfill\t''
contract\t''
all\t''"
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -l wait -d 'Poll for up to this long until the gate holds, instead of exiting 3 at once' -r
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -l format -r -f -a "human\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from help" -f -a "check" -d 'Ask every gate of the environment and print its verdict and why'
complete -c migrate -n "__fish_migrate_using_subcommand gate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -f -a "pre-deploy" -d 'Before the new code rolls out: apply expand (then backfill). Idempotent by release'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -f -a "post-deploy" -d 'After it rolled out: record the rollout, then apply contract when its gate holds'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and not __fish_seen_subcommand_from pre-deploy post-deploy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l release -d 'The release being deployed (image tag, chart revision)' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l max-duration -d 'Stop after the phase running at this time (exit 3); the next call continues' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l scratch-url -d 'The scratch server for --verify (default: `[verify] scratch_url` in sluice.toml)' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l verify-rows -d 'Rows generated in each table of the history for --verify (`migrate verify --rows`); 0: none' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -l verify -d 'First prove the pending migrations with `migrate verify` on a scratch database (`--scratch-url` or `[verify] scratch_url`); nothing is applied unless they are proven'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from pre-deploy" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -l release -d 'The release that finished rolling out' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from post-deploy" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "pre-deploy" -d 'Before the new code rolls out: apply expand (then backfill). Idempotent by release'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "post-deploy" -d 'After it rolled out: record the rollout, then apply contract when its gate holds'
complete -c migrate -n "__fish_migrate_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l listen -d 'Address to listen on' -r
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l token-file -d 'File holding the bearer token /v1 requests must send (else env SLUICE_TOKEN)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l hmac-key-file -d 'File holding the HMAC-SHA256 key of `X-Sluice-Signature` (else env SLUICE_HMAC_KEY)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l gate-poll -d 'While a contract started by post-rollout waits on its gate, ask again this often' -r
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l gate-wait -d '...for at most this long' -r
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l fleet-refresh -d 'Read every `[fleet.<name>]` of sluice.toml this often, for GET /v1/fleets/{name} and the fleet metrics' -r
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand serve" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand serve" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand serve" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand serve" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand serve" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l base -d 'Git ref: the migrations added or changed since it are the change, the others history' -r
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l scratch-url -d 'A server and a role that may create databases (default: `[verify] scratch_url` in sluice.toml). Verify creates a database of its own there and drops it; it never runs on DATABASE_URL\'s database' -r
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l old-queries -d 'The running application\'s SQL (one statement each, `$1` or `?` parameters): prepared before the change, after the expand and after the backfill' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l new-queries -d 'The new application\'s SQL: prepared from the end of the expand on and after the contract' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l queries-from-pg-stat-statements -d 'Read the old application\'s queries from this (production) database\'s pg_stat_statements: read only, the normalized query texts alone' -r
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l rows -d 'Rows generated in each of the history\'s tables before the change is verified (they respect types, NOT NULL, UNIQUE and foreign keys), so steps and backfills run on data and a down that loses data fails; 0: none' -r
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l setup -d 'SQL run on the scratch database before the history, each time verify creates it: what your deployment does outside its migrations (`CREATE EXTENSION`, roles)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l naive -d 'The naive migration the change was planned from (a copy: `migrate plan` replaces it; its up file, named as its layout names it): every phase of the change up once must leave the schema and, with --rows, the data that it leaves on the same history' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l format -d 'Output format' -r -f -a "human\t''
json\t''
sarif\t''
github\t''"
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand verify" -l all -d 'Verify every migration of the directories (each one\'s round trip in turn)'
complete -c migrate -n "__fish_migrate_using_subcommand verify" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand verify" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand verify" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand verify" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand purge" -l older-than -d 'Drop objects whose soft-dropping contract finished longer ago than this (e.g. 7d)' -r
complete -c migrate -n "__fish_migrate_using_subcommand purge" -l lock-wait -d 'How long to wait for another runner\'s lock (default 5m)' -r
complete -c migrate -n "__fish_migrate_using_subcommand purge" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand purge" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand purge" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand purge" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand purge" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand purge" -l dry-run -d 'Only list what would be dropped'
complete -c migrate -n "__fish_migrate_using_subcommand purge" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand purge" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand purge" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand purge" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand completions" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand completions" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand completions" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand completions" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand completions" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand completions" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand completions" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand completions" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand completions" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -l config -d 'Config file (default: `sluice.toml` in this directory or the nearest parent)' -r -F
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -l log-format -d 'Log line format (logs go to stderr)' -r -f -a "text\t''
json\t''"
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -l color -d 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset' -r -f -a "auto\t''
always\t''
never\t''"
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -l database-url -d 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password' -r
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -l env -d 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)' -r
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -l stdio -d 'Talk over stdin / stdout (the only transport; accepted because editors pass it)'
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace)'
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -s q -l quiet -d 'Only errors in the log'
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -s h -l help -d 'Print help'
complete -c migrate -n "__fish_migrate_using_subcommand lsp" -s V -l version -d 'Print version'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "lint" -d 'Lint migrations: files, directories, or `-` for stdin'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "rules" -d 'List the lint rules'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "explain" -d 'Print one rule\'s documentation'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "plan" -d 'Write the zero-downtime (expand / backfill / contract) version of a naive migration'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "apply" -d 'Apply pending migration phases (expand by default)'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "rollback" -d 'Roll back applied phases with the down SQL stored when they ran'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "status" -d 'Versions by phase with their state: pending, applied, failed, edited'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "baseline" -d 'Mark migrations up to a version applied without running them'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "repair" -d 'Accept edited checksums of applied migrations, clear failed states (logged)'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "rollout" -d 'Rollout events (the `recorded` contract gate)'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "new" -d 'Create a new migration in the migrations directory'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "gate" -d 'Contract gates: each gate\'s verdict and why'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "hook" -d 'Job mode for Kubernetes Jobs, Helm and Argo CD hooks'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "serve" -d 'HTTP server for deployment controllers (Flagger, Argo Rollouts, Spinnaker)'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "verify" -d 'Prove on a scratch database that every down restores the schema and that the old and new application\'s queries prepare at every phase'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "purge" -d 'Drop soft-dropped columns and tables (`_sluice_dropped_*`) whose contract is old enough'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "lsp" -d 'Language server over stdio: lint diagnostics, rule docs and fixes in the editor'
complete -c migrate -n "__fish_migrate_using_subcommand help; and not __fish_seen_subcommand_from lint rules explain plan apply rollback status baseline repair rollout new gate hook serve verify purge completions lsp help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migrate -n "__fish_migrate_using_subcommand help; and __fish_seen_subcommand_from rollout" -f -a "complete" -d 'Record that a rollout has completed (the `recorded` contract gate)'
complete -c migrate -n "__fish_migrate_using_subcommand help; and __fish_seen_subcommand_from gate" -f -a "check" -d 'Ask every gate of the environment and print its verdict and why'
complete -c migrate -n "__fish_migrate_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "pre-deploy" -d 'Before the new code rolls out: apply expand (then backfill). Idempotent by release'
complete -c migrate -n "__fish_migrate_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "post-deploy" -d 'After it rolled out: record the rollout, then apply contract when its gate holds'
