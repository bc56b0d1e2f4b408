//! Integration tests of the tsload binary.

/// `tsload check` and the task model: fixtures, round trips, rule coverage, CLI output.
mod check;

/// `tsload emulate`: the binary on a free port, driven through the AWS SDK, stopped by signals.
mod emulator;

/// `tsload explain`: agreement by reason, and malformed `lineRanges` named in warnings.
mod explain;

/// Hostile inputs and outputs: exit 1 or 2 naming the input, no panic, no hang, no partial file.
mod hostile;

/// Remote faults (an endpoint that never answers, a lost create answer) and secrets never printed.
mod remote;

/// `tsload submit`, `wait`, `status`, `list`, `resume`, `explain` against the emulator and an S3 server.
mod submit;

/// Shared helpers.
mod util;

/// `tsload validate`: scenarios, samples, generator defects, outputs, inputs, S3.
mod validate;
