//! tsload-mapper (filled by its issue).
