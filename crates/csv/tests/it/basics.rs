use tsload_model::effective::CsvDialect;

use crate::common::read_all_ways;

#[test]
fn simple_file_with_quotes_and_crlf() {
    let input = b"time,host,v\r\n1,\"a,b\",2\r\n3,\"x\"\"y\",4\n5,z,\n";
    let out = read_all_ways(input, &CsvDialect::default(), true);
    let h = out.header.unwrap();
    assert_eq!(h.strs(), ["time", "host", "v"]);
    assert_eq!(out.records.len(), 3);
    assert_eq!(out.records[0].strs(), ["1", "a,b", "2"]);
    assert_eq!(out.records[1].strs(), ["3", "x\"y", "4"]);
    assert_eq!(out.records[1].codes(), ["C009"]);
    assert_eq!(out.records[2].strs(), ["5", "z", ""]);
    assert_eq!(out.records[2].pos.line, 4);
    assert_eq!(out.records[2].pos.record, 3);
}
