//! The one TOML config file.
