/** The run's Singer state: bookmarks and currently_syncing, emitted as STATE messages on demand. */
import {
  getBookmark,
  setBookmark,
  setCurrentlySyncing,
  clearBookmark,
  stateMessage,
  type SingerState,
  type SingerWriter,
} from "../../singer/src/index.js";

export class StateHolder {
  constructor(
    private state: SingerState,
    private readonly writer: Pick<SingerWriter, "write">,
  ) {}

  get value(): SingerState {
    return this.state;
  }

  getBookmark<T = unknown>(stream: string, key: string): T | undefined {
    return getBookmark<T>(this.state, stream, key);
  }

  setBookmark(stream: string, key: string, value: unknown): void {
    this.state = setBookmark(this.state, stream, key, value);
  }

  clearBookmark(stream: string, key: string): void {
    this.state = clearBookmark(this.state, stream, key);
  }

  setCurrentlySyncing(stream: string | null): void {
    this.state = setCurrentlySyncing(this.state, stream);
  }

  /** Writes the current state as a STATE message. */
  emit(): Promise<void> {
    return this.writer.write(stateMessage(structuredClone(this.state)));
  }
}
