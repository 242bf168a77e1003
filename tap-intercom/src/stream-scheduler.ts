/**
 * Runs the streams of a sync concurrently: a first sync is bound by the API's latency, not by its
 * rate limit, so one stream at a time leaves most of `max_concurrency` idle. Every request still
 * goes through the run's one client, whose pacer and slot limit bound what is in flight in total.
 *
 * The output stays valid Singer: each message is one whole line, each stream writes its SCHEMA
 * before its records, and a stream moves its bookmark only after writing what it covers, so any
 * STATE, whichever stream emits it, covers only records already written. `currently_syncing` names
 * the earliest started stream still running; a resumed run starts that stream alone and lets the
 * others start once it has written a record (or ended), so the interrupted stream resumes first.
 *
 * A provider may bound how many of its streams run at once (`concurrentStreams`: the reporting
 * exports as many as Intercom keeps export jobs pending, the content export one); its streams then
 * run in a lane of that many, beside every other stream: an export polling its job only sleeps, so
 * it holds no request slot from the REST streams. After a stream fails, nothing more is written:
 * the other streams stop at their next message and the first failure is thrown.
 */
import type { CatalogStream, SingerMessage } from "../../singer/src/index.js";
import type { MessageWriter, StreamProvider } from "./providers.js";
import type { StateHolder } from "./state-holder.js";

/** Thrown into the streams still running after another one failed; never reported itself. */
class RunStopped extends Error {}

/** The run's writer, which refuses every message once the run has stopped. */
export class StoppableWriter implements MessageWriter {
  private stopped = false;

  constructor(private readonly writer: MessageWriter) {}

  write(message: SingerMessage): Promise<void> {
    return this.stopped ? Promise.reject(new RunStopped("the run stopped")) : this.writer.write(message);
  }

  stop(): void {
    this.stopped = true;
  }
}

export interface ScheduledStream {
  stream: CatalogStream;
  provider: StreamProvider;
}

export async function runStreams(options: {
  streams: ScheduledStream[];
  /** The writer of the run's messages, STATE included (the state holder's). */
  writer: StoppableWriter;
  state: StateHolder;
  /** The stream to start alone until it writes a record (the state's currently_syncing), if any. */
  resumeFirst?: string;
  /** Syncs one stream, writing through `writer`. */
  sync: (item: ScheduledStream, writer: MessageWriter) => Promise<void>;
}): Promise<void> {
  const { streams, state } = options;
  const running: string[] = [];
  let failure: { error: unknown } | undefined;
  let onFailure: () => void = () => undefined;
  const guarded = options.writer;

  const runOne = async (item: ScheduledStream, onRecord?: () => void): Promise<void> => {
    if (failure) return;
    const id = item.stream.tap_stream_id;
    running.push(id);
    state.setCurrentlySyncing(running[0] ?? null);
    const writer: MessageWriter = onRecord
      ? {
          write: (message) => {
            if (message.type === "RECORD") onRecord();
            return guarded.write(message);
          },
        }
      : guarded;
    try {
      await state.emit();
      await options.sync(item, writer);
    } catch (error) {
      if (!failure && !(error instanceof RunStopped)) {
        failure = { error };
        guarded.stop();
        onFailure();
      }
    } finally {
      running.splice(running.indexOf(id), 1);
      state.setCurrentlySyncing(running[0] ?? null);
    }
  };

  const first = streams.find((item) => item.stream.tap_stream_id === options.resumeFirst);
  let firstDone: Promise<void> = Promise.resolve();
  if (first) {
    let started!: () => void;
    const wrote = new Promise<void>((resolve) => (started = resolve));
    firstDone = runOne(first, () => started());
    await Promise.race([wrote, firstDone]);
  }
  const lanes = new Map<StreamProvider, ScheduledStream[]>();
  const parallel: ScheduledStream[] = [];
  for (const item of streams) {
    if (item === first) continue;
    if (item.provider.concurrentStreams === true) parallel.push(item);
    else lanes.set(item.provider, [...(lanes.get(item.provider) ?? []), item]);
  }
  const laneRuns = [...lanes.entries()].map(async ([provider, lane]) => {
    // A resumed stream of a bounded provider ends before the rest of its lane starts.
    if (first?.provider === provider) await firstDone;
    const width = Math.max(1, Math.min(lane.length, typeof provider.concurrentStreams === "number" ? provider.concurrentStreams : 1));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < lane.length && !failure) await runOne(lane[next++] as ScheduledStream);
    };
    await Promise.all(Array.from({ length: width }, worker));
  });
  // The first failure ends the run at once; the other streams can write nothing more and end at their next request.
  let failed!: () => void;
  const stopped = new Promise<void>((resolve) => (failed = resolve));
  onFailure = failed;
  await Promise.race([Promise.all([firstDone, ...parallel.map((item) => runOne(item)), ...laneRuns]), stopped]);
  if (failure) throw failure.error;
}
