//! tsload-runner (filled by its issue).
