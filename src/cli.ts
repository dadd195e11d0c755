// Entry point of every command but `trace hook`, which bin/trace sends to its own bundle.
export async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'git-hook') {
    // Run by git on every commit: skip the command-line parser and its help machinery.
    const { gitHook, readStandardInput } = await import('./commands/git-hook.js');
    try {
      const outcome = await gitHook({ name: argv[1] ?? '', args: argv.slice(2), cwd: process.cwd(), readInput: readStandardInput });
      process.exitCode = outcome.exitCode ?? 0;
    } catch (error) {
      // Never break git over trace's own trouble; pre-push decides about requireTrace itself.
      process.stderr.write(`trace: git-hook ${argv[1] ?? ''}: ${(error as Error).message}\n`);
    }
    return;
  }
  const { main } = await import('./program.js');
  process.exitCode = await main(argv);
}
