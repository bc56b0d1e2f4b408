//! tsload-emulator (filled by its issue).
