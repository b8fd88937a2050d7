// `slipway trigger app | head -9`: once `head` has its lines it closes the pipe, and the next
// write to stdout fails with EPIPE. Without a listener that is an uncaught 'error' event: a stack
// trace, and a process that dies mid-deploy with the host locked and the run left `running`.
// With this, output to a closed pipe is dropped and the command (and its run) goes on to its end.
const watched = new WeakSet<NodeJS.WriteStream>();

export function quietOnClosedPipe(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (watched.has(stream)) continue;
    watched.add(stream);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // EPIPE (reader gone) and friends: nobody is listening any more, so there is no one to tell.
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED' || err.code === 'ECONNRESET') return;
    });
  }
}
