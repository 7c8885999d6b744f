using System.Text;
using CyLlm.Training.Data;
using Xunit.Abstractions;

namespace CyLlm.Training.Tests.Data;

/// <summary>
/// Validates a ~1 GiB JSONL file generated on the fly by a stream (nothing on disk) and checks that the managed
/// heap never grows by more than 100 MB over the pass: a validator that buffered the file or its rows fails.
/// Runs alone (no parallel tests) so the heap it samples is its own. CYLLM_DATA_BIG_MB overrides the size.
/// </summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class LargeFileValidationTests(ITestOutputHelper output)
{
    /// <summary>Chat rows, every 1000th one malformed (empty assistant content); samples the heap every 8 MiB read.</summary>
    private sealed class GeneratedJsonl : Stream
    {
        private readonly long _length;
        private byte[] _row = [];
        private int _rowPos;
        private long _row1 = 0;
        private long _sampledAt;

        public GeneratedJsonl(long length)
        {
            _length = length;
        }

        public long Produced { get; private set; }

        public long Rows => _row1;

        public long MaxHeap { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Produced; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (Produced - _sampledAt >= 8 << 20)
            {
                _sampledAt = Produced;
                MaxHeap = Math.Max(MaxHeap, GC.GetTotalMemory(false));
            }

            int n = 0;
            while (n < buffer.Length)
            {
                if (_rowPos == _row.Length)
                {
                    if (Produced >= _length)
                    {
                        break;
                    }

                    _row1++;
                    string answer = _row1 % 1000 == 0 ? "" : $"Answer number {_row1}: " + new string('a', 300);
                    _row = Encoding.UTF8.GetBytes($$"""{"messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"Question {{_row1}} {{new string('q', 200)}}"},{"role":"assistant","content":"{{answer}}"}]}""" + "\n");
                    _rowPos = 0;
                }

                int k = Math.Min(buffer.Length - n, _row.Length - _rowPos);
                _row.AsSpan(_rowPos, k).CopyTo(buffer[n..]);
                _rowPos += k;
                n += k;
                Produced += k;
            }

            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void AGigabyteStreamsThroughInBoundedMemory()
    {
        long mb = long.TryParse(Environment.GetEnvironmentVariable("CYLLM_DATA_BIG_MB"), out long v) ? v : 1024;
        var stream = new GeneratedJsonl(mb << 20);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long baseline = GC.GetTotalMemory(true);

        var report = DatasetValidator.Validate(stream);

        long growth = stream.MaxHeap - baseline;
        output.WriteLine($"validated {stream.Produced >> 20} MiB, {report.Rows} rows; peak managed heap growth {growth / (1 << 20)} MiB");
        Assert.True(stream.Produced >= mb << 20, $"only {stream.Produced} bytes were read");
        Assert.Equal(stream.Rows, report.Rows);
        Assert.Equal(stream.Rows / 1000, report.ErrorCount);
        Assert.Equal(stream.Rows - stream.Rows / 1000, report.ValidRows);
        Assert.Equal(1000, report.Errors.Count);
        Assert.Equal(1000, report.Errors[0].Line);
        Assert.True(growth < 100L << 20, $"the managed heap grew by {growth >> 20} MiB while validating {stream.Produced >> 20} MiB");
    }
}
