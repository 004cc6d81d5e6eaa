//! Threads and channels of the packet path.
