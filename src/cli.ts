// Entry point of every command but `trace hook`, which bin/trace sends to its own bundle.
export async function run(): Promise<void> {
  const { main } = await import('./program.js');
  process.exitCode = await main(process.argv.slice(2));
}
