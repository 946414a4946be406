//! The `Dockerfile`, checked without a container engine (this machine and CI have a docker
//! client but no engine): its stages, base images, user, entrypoint, that every `COPY` source
//! exists and passes `.dockerignore`, that everything the build embeds is copied, that its
//! `cargo build` is the one CI runs (CI builds it in the dev profile, the image with
//! `--release`), and that the binary needs no library beyond a slim Debian base.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::repo;

/// The non-root uid the image runs as; the Kubernetes examples' `runAsUser`.
const UID: u64 = 10001;

#[derive(Debug)]
struct Instr {
    line: usize,
    keyword: String,
    args: String,
}

#[derive(Debug)]
struct Stage {
    from: String,
    name: String,
    instrs: Vec<Instr>,
}

/// Instructions with continuation lines joined; comments and blank lines dropped.
fn instructions(text: &str) -> Vec<Instr> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if pending.is_none() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if pending.is_some() && line.starts_with('#') {
            continue; // a comment inside a continued instruction
        }
        let (start, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
        match line.strip_suffix('\\') {
            Some(part) => {
                acc.push_str(part.trim());
                acc.push(' ');
                pending = Some((start, acc));
            }
            None => {
                acc.push_str(line);
                let (keyword, args) = acc.split_once(char::is_whitespace).unwrap_or((&acc, ""));
                out.push(Instr {
                    line: start,
                    keyword: keyword.to_ascii_uppercase(),
                    args: args.trim().to_owned(),
                });
            }
        }
    }
    assert!(
        pending.is_none(),
        "the Dockerfile ends inside a continued line"
    );
    out
}

/// `${NAME}` replaced by the global ARG defaults.
fn expand(s: &str, args: &BTreeMap<String, String>) -> String {
    let mut out = s.to_owned();
    for (k, v) in args {
        out = out
            .replace(&format!("${{{k}}}"), v)
            .replace(&format!("${k}"), v);
    }
    out
}

struct Dockerfile {
    stages: Vec<Stage>,
}

impl Dockerfile {
    fn load() -> Dockerfile {
        let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
        let mut globals = BTreeMap::new();
        let mut stages: Vec<Stage> = Vec::new();
        for ins in instructions(&text) {
            match ins.keyword.as_str() {
                "ARG" if stages.is_empty() => {
                    let (k, v) = ins.args.split_once('=').unwrap_or((&ins.args, ""));
                    globals.insert(k.to_owned(), v.to_owned());
                }
                "FROM" => {
                    let words: Vec<&str> = ins.args.split_whitespace().collect();
                    let (from, name) = match words.as_slice() {
                        [from, as_, name] if as_.eq_ignore_ascii_case("as") => (*from, *name),
                        [from] => (*from, ""),
                        _ => panic!("line {}: FROM {}", ins.line, ins.args),
                    };
                    stages.push(Stage {
                        from: expand(from, &globals),
                        name: name.to_owned(),
                        instrs: Vec::new(),
                    });
                }
                _ => {
                    let stage = stages
                        .last_mut()
                        .unwrap_or_else(|| panic!("line {}: before any FROM", ins.line));
                    stage.instrs.push(ins);
                }
            }
        }
        Dockerfile { stages }
    }

    fn stage(&self, name: &str) -> &Stage {
        self.stages
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no stage `{name}`"))
    }

    /// The stage and those it is built FROM, nearest first.
    fn chain<'a>(&'a self, name: &str) -> Vec<&'a Stage> {
        let mut out = vec![self.stage(name)];
        while let Some(parent) = self
            .stages
            .iter()
            .find(|s| s.name == out.last().unwrap().from)
        {
            out.push(parent);
        }
        out
    }

    /// The last value of an instruction in effect for a stage (its own, else inherited).
    fn effective(&self, stage: &str, keyword: &str) -> Option<&str> {
        self.chain(stage).into_iter().find_map(|s| {
            s.instrs
                .iter()
                .rev()
                .find(|i| i.keyword == keyword)
                .map(|i| i.args.as_str())
        })
    }
}

/// `COPY [--flags] SRC.. DEST`: (flags, sources).
fn copy_args(args: &str) -> (Vec<&str>, Vec<&str>) {
    let words: Vec<&str> = args.split_whitespace().collect();
    let flags: Vec<&str> = words
        .iter()
        .copied()
        .take_while(|w| w.starts_with("--"))
        .collect();
    let rest = &words[flags.len()..];
    assert!(rest.len() >= 2, "COPY {args}");
    (flags, rest[..rest.len() - 1].to_vec())
}

/// The `cargo build ..` command inside a shell line, up to `&&` or `;`.
fn cargo_build(line: &str) -> Option<Vec<String>> {
    let start = line.find("cargo build")?;
    let cmd = line[start..].split(['&', ';', '\n']).next()?;
    Some(cmd.split_whitespace().map(str::to_owned).collect())
}

fn version(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap()).collect()
}

#[test]
fn stages_user_and_entrypoint() {
    let df = Dockerfile::load();
    let names: Vec<&str> = df.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["build", "runtime", "online", "slim"]);
    // the default target (the last stage) is the small one
    assert_eq!(df.stages.last().unwrap().name, "slim");

    // build with the Rust image, at least the workspace's rust-version
    let build = df.stage("build");
    let tag = build
        .from
        .strip_prefix("rust:")
        .expect("built with the Rust image");
    let rust = tag.split('-').next().unwrap();
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let msrv = manifest["workspace"]["package"]["rust-version"]
        .as_str()
        .unwrap();
    assert!(
        version(rust) >= version(msrv),
        "rust:{rust} < rust-version {msrv}"
    );
    // run on Debian slim, the same release as the build (glibc)
    let runtime = df.stage("runtime");
    assert!(runtime.from.starts_with("debian:") && runtime.from.ends_with("-slim"));
    assert_eq!(
        runtime
            .from
            .trim_start_matches("debian:")
            .trim_end_matches("-slim"),
        tag.rsplit('-').next().unwrap(),
        "build and runtime on one Debian release"
    );

    for target in ["slim", "online"] {
        assert_eq!(
            df.effective(target, "ENTRYPOINT"),
            Some(r#"["migrate"]"#),
            "{target}: exec form, migrate"
        );
        let user = df.effective(target, "USER").unwrap();
        let uid: u64 = user
            .split(':')
            .next()
            .unwrap()
            .parse()
            .expect("a numeric uid");
        assert_eq!(uid, UID, "{target} runs as the non-root user");
        assert_eq!(df.effective(target, "WORKDIR"), Some("/app"));
    }
    // the user exists in the runtime image with that uid
    let creates = runtime.instrs.iter().any(|i| {
        i.keyword == "RUN" && i.args.contains("useradd") && i.args.contains(&format!("--uid {UID}"))
    });
    assert!(creates, "useradd --uid {UID} in the runtime stage");
    // the online variant installs the tools of the online strategies
    let online = df.stage("online");
    let installs = online
        .instrs
        .iter()
        .filter(|i| i.keyword == "RUN")
        .map(|i| i.args.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    for pkg in ["postgresql-15-repack", "percona-toolkit"] {
        assert!(installs.contains(pkg), "{pkg} in the online stage");
    }
}

#[test]
fn copies_exist_pass_dockerignore_and_cover_the_build() {
    let df = Dockerfile::load();
    let ignore: Vec<String> = std::fs::read_to_string(repo().join(".dockerignore"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    // the last matching pattern decides (the subset of the syntax the file uses)
    let sent = |p: &str| {
        let mut included = true;
        for pat in &ignore {
            let (neg, pat) = match pat.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pat.as_str()),
            };
            let pat = pat.trim_end_matches('/');
            let hit = pat == "*"
                || p == pat
                || p.starts_with(&format!("{pat}/"))
                || (pat.starts_with("**/") && p.split('/').any(|c| c == &pat[3..]));
            if hit {
                included = neg;
            }
        }
        included
    };
    let mut copied: Vec<PathBuf> = Vec::new();
    let stage_names: Vec<&str> = df.stages.iter().map(|s| s.name.as_str()).collect();
    for (i, stage) in df.stages.iter().enumerate() {
        for ins in stage.instrs.iter().filter(|i| i.keyword == "COPY") {
            let (flags, sources) = copy_args(&ins.args);
            if let Some(from) = flags.iter().find_map(|f| f.strip_prefix("--from=")) {
                assert!(
                    stage_names[..i].contains(&from),
                    "line {}: --from={from} is not an earlier stage",
                    ins.line
                );
                continue;
            }
            for src in sources {
                assert!(
                    repo().join(src).exists(),
                    "line {}: {src} does not exist",
                    ins.line
                );
                assert!(
                    sent(src),
                    "line {}: {src} is excluded by .dockerignore",
                    ins.line
                );
                copied.push(repo().join(src));
            }
        }
    }
    assert!(
        !sent("target") && !sent("target/debug/migrate"),
        "target/ stays out"
    );
    let is_copied = |p: &Path| copied.iter().any(|c| p.starts_with(c));

    // every workspace member is in the build context
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    for m in manifest["workspace"]["members"].as_array().unwrap() {
        let m = m.as_str().unwrap().trim_end_matches("/*");
        assert!(
            is_copied(&repo().join(m)),
            "workspace member {m} is not copied"
        );
    }
    // and every file the sources embed (rule docs, plan templates)
    let re = regex::Regex::new(r#"include_(?:str|bytes)!\(\s*"([^"]+)"\s*\)"#).unwrap();
    let mut embedded = 0;
    for root in ["src", "crates", "bench"] {
        for file in rust_files(&repo().join(root)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for cap in re.captures_iter(&text) {
                let target = file.parent().unwrap().join(&cap[1]);
                let target = target.canonicalize().unwrap_or(target);
                assert!(
                    is_copied(&target),
                    "{} embeds {}, which the Dockerfile does not copy",
                    file.display(),
                    target.display()
                );
                embedded += 1;
            }
        }
    }
    assert!(embedded > 50, "rule docs and templates found: {embedded}");
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && p.file_name().is_some_and(|n| n != "target") {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_build_is_the_one_ci_runs() {
    let df = Dockerfile::load();
    let build = df.stage("build");
    let runs: Vec<&Instr> = build
        .instrs
        .iter()
        .filter(|i| i.keyword == "RUN" && i.args.contains("cargo build"))
        .collect();
    assert_eq!(runs.len(), 1);
    let image = cargo_build(&runs[0].args).unwrap();
    assert!(image.contains(&"--locked".to_owned()), "{image:?}");
    assert!(image.contains(&"--release".to_owned()), "{image:?}");
    let bin = image.iter().position(|w| w == "--bin").unwrap();
    assert_eq!(image[bin + 1], "migrate");
    // the binary it installs is the one that command writes
    assert!(
        runs[0]
            .args
            .contains("target/release/migrate /usr/local/bin/migrate"),
        "{}",
        runs[0].args
    );
    let copy = df
        .stage("runtime")
        .instrs
        .iter()
        .find(|i| i.keyword == "COPY" && i.args.starts_with("--from=build"))
        .expect("the runtime copies the binary from the build");
    assert_eq!(
        copy.args,
        "--from=build /usr/local/bin/migrate /usr/local/bin/migrate"
    );

    // CI builds the same package, binary, features and lockfile, in the dev profile that the
    // tests already compiled (a second, release, build would double CI's compile time)
    let ci = std::fs::read_to_string(repo().join("scripts/test.sh")).unwrap();
    let ci_builds: Vec<Vec<String>> = ci
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.contains("log "))
        .filter_map(cargo_build)
        .collect();
    let without_release: Vec<String> = image
        .iter()
        .filter(|w| *w != "--release")
        .cloned()
        .collect();
    assert!(
        ci_builds.contains(&without_release),
        "scripts/test.sh runs `{}` (the Dockerfile's build without --release); it runs {ci_builds:?}",
        without_release.join(" ")
    );
}

/// The binary links only libraries every Debian slim image has.
#[test]
fn the_binary_runs_on_a_slim_base() {
    let bin = assert_cmd::cargo::cargo_bin("migrate");
    let Ok(out) = std::process::Command::new("ldd").arg(&bin).output() else {
        panic!("ldd (libc-bin) is part of every Debian system");
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let base = [
        "linux-vdso",
        "libc.so",
        "libm.so",
        "libgcc_s.so",
        "ld-linux",
        "libpthread",
        "libdl",
        "librt",
    ];
    for line in text.lines() {
        let lib = line.split_whitespace().next().unwrap_or("");
        assert!(
            base.iter().any(|b| lib.contains(b)),
            "{} needs {lib}, which debian-slim lacks:\n{text}",
            bin.display()
        );
    }
    assert!(text.contains("libc.so"), "{text}");
}

/// The binary's own build (`cargo build --bin migrate`, which CI runs before the tests)
/// resolves every crate with the features the test build gives it: otherwise the tests
/// compile most of the tree a second time (about two minutes of CI on this machine). The
/// root manifest pins the features the tests' dev-dependencies turn on.
#[test]
fn the_binarys_build_shares_the_test_builds_features() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let tree = |args: &[&str]| -> std::collections::BTreeSet<String> {
        let out = std::process::Command::new(&cargo)
            .arg("tree")
            .args(args)
            .args(["-f", "{p} {f}", "--prefix", "none", "--locked", "--offline"])
            .current_dir(repo())
            .output()
            .expect("cargo tree runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim_end_matches(" (*)").to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    };
    let binary = tree(&["-p", "sluice", "-e", "normal,build"]);
    let tests = tree(&["--workspace", "-e", "normal,build,dev"]);
    let differ: Vec<&String> = binary.difference(&tests).collect();
    assert!(
        differ.is_empty(),
        "these crates build with other features for the binary alone than for the tests: \
         pin the tests' features in the root Cargo.toml's [dependencies] (see its comment): {differ:#?}"
    );
}
