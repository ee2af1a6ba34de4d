//! Vigilance (MDR Art. 87-89): the device register, serious-incident cases with their 2/10/15-day
//! clocks over a shipped holiday calendar, IMDRF codes as versioned data, the report sequence
//! and the MIR 7.2.1 XML. Pure: no framework, database or I/O imports; the service layer feeds
//! it stored data and stores what it returns.

pub mod calendar;
pub mod deadline;
pub mod device;
pub mod imdrf;
pub mod incident;
pub mod mir;
pub mod mir2;
pub mod mtr;
pub mod similar;
pub mod stage;
mod xml_write;

#[cfg(test)]
mod deadline_tests;
