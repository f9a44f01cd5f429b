//! The log's writer: each line is queued for a thread of its own, which
//! writes what has queued up in one go. A request formats its line and goes
//! on, never waiting on a write(2) to stderr or on another request holding
//! stderr's lock.
//!
//! Never lossy: with [`QUEUED_LINES`] lines waiting (stderr stalled, or
//! read more slowly than lines come), logging waits for room, as writing to
//! stderr directly did. When the process ends, [`Guard`]'s drop waits until
//! every line queued before it is written (up to [`FINAL_WAIT`], for a
//! reader that has stopped reading altogether).

use std::io::Write as _;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::{Duration, Instant};

/// Lines that may wait to be written.
pub const QUEUED_LINES: usize = 16_384;

/// How long the end of the process waits for the queued lines to be written.
pub const FINAL_WAIT: Duration = Duration::from_secs(30);

enum Msg {
    Line(Vec<u8>),
    /// Everything sent before is written: flush and end.
    Stop,
}

/// The writer the log formats its lines into (one `write` per line).
#[derive(Clone)]
pub struct QueuedStderr {
    /// `None`: the log thread could not be started; lines go to stderr.
    queue: Option<SyncSender<Msg>>,
}

/// Ends the log thread when dropped, once every queued line is written.
pub struct Guard {
    queue: Option<SyncSender<Msg>>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// The writer and its guard (hold it until the process ends).
pub fn start() -> (QueuedStderr, Guard) {
    let (queue, lines) = sync_channel(QUEUED_LINES);
    match std::thread::Builder::new()
        .name("gatehouse-log".into())
        .spawn(move || write_lines(&lines))
    {
        Ok(worker) => (
            QueuedStderr {
                queue: Some(queue.clone()),
            },
            Guard {
                queue: Some(queue),
                worker: Some(worker),
            },
        ),
        Err(e) => {
            eprintln!("gatehouse: no log thread ({e}): the log is written by each request");
            (
                QueuedStderr { queue: None },
                Guard {
                    queue: None,
                    worker: None,
                },
            )
        }
    }
}

/// The log thread: writes each line as it comes, and what queued up
/// meanwhile with it, through one buffer (one write(2) for many lines).
/// stderr is locked only while a batch is written, never held: the CLI
/// prints to it too.
fn write_lines(lines: &Receiver<Msg>) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
    while let Ok(first) = lines.recv() {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Line(line) => {
                    let _ = out.write_all(&line);
                }
                Msg::Stop => {
                    // Lines sent after the stop (a thread still logging
                    // while the process ends) are written too.
                    while let Ok(Msg::Line(line)) = lines.try_recv() {
                        let _ = out.write_all(&line);
                    }
                    let _ = out.flush();
                    return;
                }
            }
            next = lines.try_recv().ok();
        }
        let _ = out.flush();
    }
    let _ = out.flush();
}

impl Drop for Guard {
    fn drop(&mut self) {
        let (Some(queue), Some(worker)) = (self.queue.take(), self.worker.take()) else {
            return;
        };
        // In order after every line queued so far.
        if queue.send(Msg::Stop).is_err() {
            return;
        }
        let deadline = Instant::now() + FINAL_WAIT;
        while !worker.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if worker.is_finished() {
            let _ = worker.join();
        }
    }
}

/// One line, as the log formats it.
pub struct LineWriter<'a> {
    queue: Option<&'a SyncSender<Msg>>,
}

impl std::io::Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.queue {
            // Waits for room when the queue is full; if the log thread is
            // gone (it never ends before the guard), straight to stderr.
            Some(queue) => {
                if let Err(std::sync::mpsc::SendError(Msg::Line(line))) =
                    queue.send(Msg::Line(buf.to_vec()))
                {
                    std::io::stderr().write_all(&line)?;
                }
            }
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for QueuedStderr {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            queue: self.queue.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line queued before the guard drops is written, in order,
    /// even when the writer is slower than the lines come.
    #[test]
    fn the_guard_waits_for_every_queued_line() {
        let (queue, lines) = sync_channel(4);
        let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = written.clone();
        let worker = std::thread::spawn(move || {
            while let Ok(msg) = lines.recv() {
                match msg {
                    Msg::Line(l) => {
                        std::thread::sleep(Duration::from_millis(2));
                        sink.lock().unwrap().extend_from_slice(&l);
                    }
                    Msg::Stop => return,
                }
            }
        });
        let writer = QueuedStderr {
            queue: Some(queue.clone()),
        };
        for i in 0..100 {
            use tracing_subscriber::fmt::MakeWriter as _;
            writer
                .make_writer()
                .write_all(format!("line {i}\n").as_bytes())
                .unwrap();
        }
        drop(Guard {
            queue: Some(queue),
            worker: Some(worker),
        });
        let text = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        let want: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(text, want);
    }
}
