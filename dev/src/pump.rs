//! The local event pump: see the module docs once written.
