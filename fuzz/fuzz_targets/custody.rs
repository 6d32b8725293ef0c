//! Fuzzes the custody parsers: `Event::parse` (custody/NNNN-<action>.json), `Receipt::parse`
//! (what `receive --receipt` writes) and `parse_event_file_name`. None may panic, and what parses
//! must survive a round trip.
#![no_main]

use earwitness::custody::{Event, Receipt, event_file_name, parse_event_file_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = Event::parse(data) {
        // The bytes `event_files` signs must parse back to the same event.
        let again = Event::parse(&ev.to_bytes()).expect("an event that earwitness writes must parse again");
        assert_eq!(again, ev, "custody event changed in a round trip");
        // An event's file name, if it is a valid one, names that event's seq and action.
        let name = ev.file_name();
        if let Some((seq, action)) = parse_event_file_name(&name) {
            assert_eq!((seq, action), (ev.seq, ev.action.as_str()), "file name {name:?}");
        }
    }
    if let Ok(receipt) = Receipt::parse(data) {
        let bytes = serde_json::to_vec_pretty(&receipt).expect("a receipt always serializes");
        let again = Receipt::parse(&bytes).expect("a receipt that earwitness writes must parse again");
        assert_eq!(again, receipt, "receipt changed in a round trip");
    }
    // Bundle entry names come from the ZIP: any string may reach this.
    if let Ok(name) = std::str::from_utf8(data) {
        if let Some((seq, action)) = parse_event_file_name(name) {
            assert_eq!(event_file_name(seq, action), name);
        }
    }
});
