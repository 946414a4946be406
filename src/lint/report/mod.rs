//! Renderers of a [`super::LintReport`]: human, json, sarif, github, gitlab, gcc.
//! They return strings; only the CLI prints.
