//! The reconciliation family: two sources of the same tables (a `[reconcile]` pair in a mapping),
//! compared table by table. Not applicable without a declared partner.

pub mod source_reconciliation;
