// a quarter of lint's time went to glibc's malloc (sqlparser allocates per token and node);
// mimalloc halves that on two threads
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sluice::cli::main()
}
