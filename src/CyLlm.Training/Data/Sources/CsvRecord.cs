namespace CyLlm.Training.Data.Sources;

/// <summary>
/// One CSV record as <see cref="CsvRecordParser"/> delimited it: where it starts (stream byte offset), how many
/// '\n' it spans (its terminator included), its field count, and the first error in it, if any. The field bytes
/// stay in the parser until the next record.
/// </summary>
internal readonly record struct CsvRecord(long Offset, long Newlines, int FieldCount, bool IsBlank, string? Error, DatasetErrorKind ErrorKind, bool Unterminated);
