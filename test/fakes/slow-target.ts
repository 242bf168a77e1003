/**
 * A Singer target that stops reading: after SLOW_TARGET_PAUSE_AFTER bytes it stops reading
 * stdin, says "paused" on stderr, and reads the rest only after SIGUSR1. It prints one summary
 * line on stdout at the end: {"bytes": total bytes read}.
 */
const pauseAfter = Number(process.env["SLOW_TARGET_PAUSE_AFTER"] ?? String(8 * 1024 * 1024));
let bytes = 0;
let paused = false;
let resumed = false;
// A paused stdin does not keep Node alive: hold the process until the input ends.
const keepAlive = setInterval(() => undefined, 1 << 30);
process.on("SIGUSR1", () => {
  resumed = true;
  process.stdin.resume();
});
process.stdin.on("data", (chunk: Buffer) => {
  bytes += chunk.length;
  if (!paused && !resumed && bytes >= pauseAfter) {
    paused = true;
    process.stdin.pause();
    process.stderr.write("paused\n");
  }
});
process.stdin.on("end", () => {
  clearInterval(keepAlive);
  process.stdout.write(JSON.stringify({ bytes }) + "\n");
});
