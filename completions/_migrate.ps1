
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'migrate' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'migrate'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'migrate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Lint migrations: files, directories, or `-` for stdin')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'List the lint rules')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Print one rule''s documentation')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Write the zero-downtime (expand / backfill / contract) version of a naive migration')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Apply pending migration phases (expand by default)')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Roll back applied phases with the down SQL stored when they ran')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Versions by phase with their state: pending, applied, failed, edited')
            [CompletionResult]::new('baseline', 'baseline', [CompletionResultType]::ParameterValue, 'Mark migrations up to a version applied without running them')
            [CompletionResult]::new('repair', 'repair', [CompletionResultType]::ParameterValue, 'Accept edited checksums of applied migrations, clear failed states (logged)')
            [CompletionResult]::new('rollout', 'rollout', [CompletionResultType]::ParameterValue, 'Rollout events (the `recorded` contract gate)')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new migration in the migrations directory')
            [CompletionResult]::new('gate', 'gate', [CompletionResultType]::ParameterValue, 'Contract gates: each gate''s verdict and why')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Job mode for Kubernetes Jobs, Helm and Argo CD hooks')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'HTTP server for deployment controllers (Flagger, Argo Rollouts, Spinnaker)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Prove on a scratch database that every down restores the schema and that the old and new application''s queries prepare at every phase')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Drop soft-dropped columns and tables (`_sluice_dropped_*`) whose contract is old enough')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('lsp', 'lsp', [CompletionResultType]::ParameterValue, 'Language server over stdio: lint diagnostics, rule docs and fixes in the editor')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'migrate;lint' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Lowest severity that makes the exit code 1 (default from config, else error)')
            [CompletionResult]::new('--dialect', '--dialect', [CompletionResultType]::ParameterName, 'SQL dialect (default from config, else postgres)')
            [CompletionResult]::new('--format-layout', '--format-layout', [CompletionResultType]::ParameterName, 'Directory layout (default from config, else auto-detected)')
            [CompletionResult]::new('--runner', '--runner', [CompletionResultType]::ParameterName, 'Whose runner applies the files (decides transaction wrapping)')
            [CompletionResult]::new('--stdin-filename', '--stdin-filename', [CompletionResultType]::ParameterName, 'File name to report for `-` (stdin)')
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'Git ref: only migrations added or changed since it (plus uncommitted ones) are linted; the others are history, replayed into the schema catalog. Also enables the deploy-boundary rules that need to know which application code changed')
            [CompletionResult]::new('--schema-from', '--schema-from', [CompletionResultType]::ParameterName, 'Read the existing schema (and row estimates) from this live PostgreSQL database instead of replaying history: everything given is the change set')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;rules' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;explain' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;plan' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the phased migration into this directory (created; must be empty unless --force). Into a migrations directory of another layout (`--out DIR` or `--out DIR/<version>_<name>`), the phases become migrations of that layout: the expand (with its backfill) at the planned version, the contract at the next one. Without it, the files are printed')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'files: the SQL and TOML files; json: the plan as data (phases, steps, locks, costs)')
            [CompletionResult]::new('--schema-from', '--schema-from', [CompletionResultType]::ParameterName, 'Seed the schema from a live PostgreSQL database instead of the earlier migrations')
            [CompletionResult]::new('--dialect', '--dialect', [CompletionResultType]::ParameterName, 'Dialect (default: from sluice.toml, else postgres)')
            [CompletionResult]::new('--rename-column', '--rename-column', [CompletionResultType]::ParameterName, 'PostgreSQL `RENAME COLUMN`: copy (a second column kept equal by a trigger, filled in batches, swapped at contract) or view (no row written: the table steps aside and a view under its name shows the column under both names until the contract; the application meets a view, on which COPY, TRUNCATE and LOCK fail, during the rollout). Default: `[plan] rename_column` of sluice.toml, else copy')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace files already in --out')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;apply' {
            [CompletionResult]::new('--phase', '--phase', [CompletionResultType]::ParameterName, 'Which phases: expand (before the rollout, the default; then the backfills unless --no-backfill), backfill, contract (after the rollout, when its gate holds and its backfill is complete), or all (expand, backfill, then contracts whose gate holds)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Apply only up to this version (inclusive)')
            [CompletionResult]::new('--release', '--release', [CompletionResultType]::ParameterName, 'Release id stored with each applied phase')
            [CompletionResult]::new('--lock-wait', '--lock-wait', [CompletionResultType]::ParameterName, 'How long to wait for another runner''s lock (default 5m; e.g. 30s)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'When a contract waits on its gate, poll for up to this long instead of exiting 3')
            [CompletionResult]::new('--allow', '--allow', [CompletionResultType]::ParameterName, 'Let the apply check pass findings of this lint rule (repeatable); each one let through is recorded in the ledger''s events with who allowed it')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Apply to every target of `[fleet.NAME]` in sluice.toml, in its waves (no DATABASE_URL needed)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'With --fleet: take the I-th (from 0) of N disjoint slices of every wave; `/N` takes I from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). Shards meet at the end of each wave')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'With --shard: the id every shard of this attempt shares (e.g. the Job''s uid); a new attempt takes a new one')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'With --fleet: the waves and their targets as human text or one JSON object')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact SQL that would run (session settings and ledger writes included)')
            [CompletionResult]::new('--no-backfill', '--no-backfill', [CompletionResultType]::ParameterName, 'With `--phase expand`: leave the backfills for a later `--phase backfill`')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;rollback' {
            [CompletionResult]::new('--steps', '--steps', [CompletionResultType]::ParameterName, 'Roll back the last N applied phases (default 1)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Roll back every phase of versions newer than this one (`0`: everything)')
            [CompletionResult]::new('--phase', '--phase', [CompletionResultType]::ParameterName, 'phase')
            [CompletionResult]::new('--lock-wait', '--lock-wait', [CompletionResultType]::ParameterName, 'How long to wait for another runner''s lock (default 5m)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the SQL that would run')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;status' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Every target of `[fleet.NAME]`: a table of targets x phases, then the failures')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;baseline' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Migrations directory (default from config, else ./migrations)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;repair' {
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Only this version (default: every edited or failed migration)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Migrations directory (default from config, else ./migrations)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'migrate;rollout' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('complete', 'complete', [CompletionResultType]::ParameterValue, 'Record that a rollout has completed (the `recorded` contract gate)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'migrate;rollout;complete' {
            [CompletionResult]::new('--release', '--release', [CompletionResultType]::ParameterName, 'The release that finished rolling out')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;rollout;help' {
            [CompletionResult]::new('complete', 'complete', [CompletionResultType]::ParameterValue, 'Record that a rollout has completed (the `recorded` contract gate)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'migrate;rollout;help;complete' {
            break
        }
        'migrate;rollout;help;help' {
            break
        }
        'migrate;new' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Migrations directory (default from config, else ./migrations)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('--phased', '--phased', [CompletionResultType]::ParameterName, 'Create a phased migration (expand and contract scripts)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;gate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Ask every gate of the environment and print its verdict and why')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'migrate;gate;check' {
            [CompletionResult]::new('--phase', '--phase', [CompletionResultType]::ParameterName, 'The gated phase (only contract has a gate)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Poll for up to this long until the gate holds, instead of exiting 3 at once')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;gate;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Ask every gate of the environment and print its verdict and why')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'migrate;gate;help;check' {
            break
        }
        'migrate;gate;help;help' {
            break
        }
        'migrate;hook' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('pre-deploy', 'pre-deploy', [CompletionResultType]::ParameterValue, 'Before the new code rolls out: apply expand (then backfill). Idempotent by release')
            [CompletionResult]::new('post-deploy', 'post-deploy', [CompletionResultType]::ParameterValue, 'After it rolled out: record the rollout, then apply contract when its gate holds')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'migrate;hook;pre-deploy' {
            [CompletionResult]::new('--release', '--release', [CompletionResultType]::ParameterName, 'The release being deployed (image tag, chart revision)')
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'Stop after the phase running at this time (exit 3); the next call continues')
            [CompletionResult]::new('--scratch-url', '--scratch-url', [CompletionResultType]::ParameterName, 'The scratch server for --verify (default: `[verify] scratch_url` in sluice.toml)')
            [CompletionResult]::new('--verify-rows', '--verify-rows', [CompletionResultType]::ParameterName, 'Rows generated in each table of the history for --verify (`migrate verify --rows`); 0: none')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'First prove the pending migrations with `migrate verify` on a scratch database (`--scratch-url` or `[verify] scratch_url`); nothing is applied unless they are proven')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;hook;post-deploy' {
            [CompletionResult]::new('--release', '--release', [CompletionResultType]::ParameterName, 'The release that finished rolling out')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;hook;help' {
            [CompletionResult]::new('pre-deploy', 'pre-deploy', [CompletionResultType]::ParameterValue, 'Before the new code rolls out: apply expand (then backfill). Idempotent by release')
            [CompletionResult]::new('post-deploy', 'post-deploy', [CompletionResultType]::ParameterValue, 'After it rolled out: record the rollout, then apply contract when its gate holds')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'migrate;hook;help;pre-deploy' {
            break
        }
        'migrate;hook;help;post-deploy' {
            break
        }
        'migrate;hook;help;help' {
            break
        }
        'migrate;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File holding the bearer token /v1 requests must send (else env SLUICE_TOKEN)')
            [CompletionResult]::new('--hmac-key-file', '--hmac-key-file', [CompletionResultType]::ParameterName, 'File holding the HMAC-SHA256 key of `X-Sluice-Signature` (else env SLUICE_HMAC_KEY)')
            [CompletionResult]::new('--gate-poll', '--gate-poll', [CompletionResultType]::ParameterName, 'While a contract started by post-rollout waits on its gate, ask again this often')
            [CompletionResult]::new('--gate-wait', '--gate-wait', [CompletionResultType]::ParameterName, '...for at most this long')
            [CompletionResult]::new('--fleet-refresh', '--fleet-refresh', [CompletionResultType]::ParameterName, 'Read every `[fleet.<name>]` of sluice.toml this often, for GET /v1/fleets/{name} and the fleet metrics')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;verify' {
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'Git ref: the migrations added or changed since it are the change, the others history')
            [CompletionResult]::new('--scratch-url', '--scratch-url', [CompletionResultType]::ParameterName, 'A server and a role that may create databases (default: `[verify] scratch_url` in sluice.toml). Verify creates a database of its own there and drops it; it never runs on DATABASE_URL''s database')
            [CompletionResult]::new('--old-queries', '--old-queries', [CompletionResultType]::ParameterName, 'The running application''s SQL (one statement each, `$1` or `?` parameters): prepared before the change, after the expand and after the backfill')
            [CompletionResult]::new('--new-queries', '--new-queries', [CompletionResultType]::ParameterName, 'The new application''s SQL: prepared from the end of the expand on and after the contract')
            [CompletionResult]::new('--queries-from-pg-stat-statements', '--queries-from-pg-stat-statements', [CompletionResultType]::ParameterName, 'Read the old application''s queries from this (production) database''s pg_stat_statements: read only, the normalized query texts alone')
            [CompletionResult]::new('--rows', '--rows', [CompletionResultType]::ParameterName, 'Rows generated in each of the history''s tables before the change is verified (they respect types, NOT NULL, UNIQUE and foreign keys), so steps and backfills run on data and a down that loses data fails; 0: none')
            [CompletionResult]::new('--setup', '--setup', [CompletionResultType]::ParameterName, 'SQL run on the scratch database before the history, each time verify creates it: what your deployment does outside its migrations (`CREATE EXTENSION`, roles)')
            [CompletionResult]::new('--naive', '--naive', [CompletionResultType]::ParameterName, 'The naive migration the change was planned from (a copy: `migrate plan` replaces it; its up file, named as its layout names it): every phase of the change up once must leave the schema and, with --rows, the data that it leaves on the same history')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Verify every migration of the directories (each one''s round trip in turn)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;purge' {
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Drop objects whose soft-dropping contract finished longer ago than this (e.g. 7d)')
            [CompletionResult]::new('--lock-wait', '--lock-wait', [CompletionResultType]::ParameterName, 'How long to wait for another runner''s lock (default 5m)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only list what would be dropped')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;lsp' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: `sluice.toml` in this directory or the nearest parent)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format (logs go to stderr)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in human output: auto = only on a terminal and when NO_COLOR is unset')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never printed with its password')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`, else the `recorded` gate alone)')
            [CompletionResult]::new('--stdio', '--stdio', [CompletionResultType]::ParameterName, 'Talk over stdin / stdout (the only transport; accepted because editors pass it)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors in the log')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'migrate;help' {
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Lint migrations: files, directories, or `-` for stdin')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'List the lint rules')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Print one rule''s documentation')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Write the zero-downtime (expand / backfill / contract) version of a naive migration')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Apply pending migration phases (expand by default)')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Roll back applied phases with the down SQL stored when they ran')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Versions by phase with their state: pending, applied, failed, edited')
            [CompletionResult]::new('baseline', 'baseline', [CompletionResultType]::ParameterValue, 'Mark migrations up to a version applied without running them')
            [CompletionResult]::new('repair', 'repair', [CompletionResultType]::ParameterValue, 'Accept edited checksums of applied migrations, clear failed states (logged)')
            [CompletionResult]::new('rollout', 'rollout', [CompletionResultType]::ParameterValue, 'Rollout events (the `recorded` contract gate)')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new migration in the migrations directory')
            [CompletionResult]::new('gate', 'gate', [CompletionResultType]::ParameterValue, 'Contract gates: each gate''s verdict and why')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Job mode for Kubernetes Jobs, Helm and Argo CD hooks')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'HTTP server for deployment controllers (Flagger, Argo Rollouts, Spinnaker)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Prove on a scratch database that every down restores the schema and that the old and new application''s queries prepare at every phase')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Drop soft-dropped columns and tables (`_sluice_dropped_*`) whose contract is old enough')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('lsp', 'lsp', [CompletionResultType]::ParameterValue, 'Language server over stdio: lint diagnostics, rule docs and fixes in the editor')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'migrate;help;lint' {
            break
        }
        'migrate;help;rules' {
            break
        }
        'migrate;help;explain' {
            break
        }
        'migrate;help;plan' {
            break
        }
        'migrate;help;apply' {
            break
        }
        'migrate;help;rollback' {
            break
        }
        'migrate;help;status' {
            break
        }
        'migrate;help;baseline' {
            break
        }
        'migrate;help;repair' {
            break
        }
        'migrate;help;rollout' {
            [CompletionResult]::new('complete', 'complete', [CompletionResultType]::ParameterValue, 'Record that a rollout has completed (the `recorded` contract gate)')
            break
        }
        'migrate;help;rollout;complete' {
            break
        }
        'migrate;help;new' {
            break
        }
        'migrate;help;gate' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Ask every gate of the environment and print its verdict and why')
            break
        }
        'migrate;help;gate;check' {
            break
        }
        'migrate;help;hook' {
            [CompletionResult]::new('pre-deploy', 'pre-deploy', [CompletionResultType]::ParameterValue, 'Before the new code rolls out: apply expand (then backfill). Idempotent by release')
            [CompletionResult]::new('post-deploy', 'post-deploy', [CompletionResultType]::ParameterValue, 'After it rolled out: record the rollout, then apply contract when its gate holds')
            break
        }
        'migrate;help;hook;pre-deploy' {
            break
        }
        'migrate;help;hook;post-deploy' {
            break
        }
        'migrate;help;serve' {
            break
        }
        'migrate;help;verify' {
            break
        }
        'migrate;help;purge' {
            break
        }
        'migrate;help;completions' {
            break
        }
        'migrate;help;lsp' {
            break
        }
        'migrate;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
