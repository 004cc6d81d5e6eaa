//! All metrics, registered in one place. STUB (issue 6).
