using System.Globalization;
using System.Text;
using System.Text.Json;
using CyLlm.Jobs.Files;
using CyLlm.Training.Model;
using CyLlm.Training.Optimizers;

namespace CyLlm.Training.Checkpoints;

/// <summary>
/// Checkpoint files <c>ckpt-{step:D8}.bin</c> in one folder, each written with <see cref="AtomicFile"/> (temp + fsync +
/// rename + <c>.ok</c> marker with size and SHA-256). Layout: "CYCK", int32 version 1, int32 header length, UTF-8 JSON
/// <see cref="CheckpointState"/>, then per parameter its weights, m and v as little-endian F32.
/// </summary>
public sealed class CheckpointStore
{
    private const string Prefix = "ckpt-";
    private const string Suffix = ".bin";
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public CheckpointStore(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public static string FileName(long step) => $"{Prefix}{step.ToString("D8", CultureInfo.InvariantCulture)}{Suffix}";

    public static long? StepOf(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith(Prefix, StringComparison.Ordinal) && name.EndsWith(Suffix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(Prefix.Length, name.Length - Prefix.Length - Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long s)
            ? s : null;
    }

    public string Write(CheckpointState state, AdamW optimizer)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            byte[] header = JsonSerializer.SerializeToUtf8Bytes(state, Json);
            w.Write("CYCK"u8);
            w.Write(1);
            w.Write(header.Length);
            w.Write(header);
            for (int i = 0; i < optimizer.Parameters.Count; i++)
            {
                WriteFloats(w, optimizer.Parameters[i].Data);
                WriteFloats(w, optimizer.M[i]);
                WriteFloats(w, optimizer.V[i]);
            }
        }

        string path = Path.Combine(Directory, FileName(state.Step));
        AtomicFile.WriteAsync(path, ms.GetBuffer().AsMemory(0, (int)ms.Length)).GetAwaiter().GetResult();
        return path;
    }

    /// <summary>Reads the header only.</summary>
    public static CheckpointState ReadState(string path)
    {
        using var f = File.OpenRead(path);
        using var r = new BinaryReader(f);
        return ReadHeader(r, path);
    }

    /// <summary>Restores weights and optimizer moments into <paramref name="optimizer"/>'s parameters; returns the header.</summary>
    public static CheckpointState Load(string path, AdamW optimizer)
    {
        using var f = File.OpenRead(path);
        using var r = new BinaryReader(f);
        var state = ReadHeader(r, path);
        var ps = optimizer.Parameters;
        if (state.Parameters.Length != ps.Count)
        {
            throw new InvalidDataException($"{path}: checkpoint has {state.Parameters.Length} trainable tensors, this run has {ps.Count} (different mode, LoRA targets or model?)");
        }

        for (int i = 0; i < ps.Count; i++)
        {
            if (state.Parameters[i] != ps[i].Name || state.ParameterLengths[i] != ps[i].Length)
            {
                throw new InvalidDataException($"{path}: tensor {i} is {state.Parameters[i]} [{state.ParameterLengths[i]}], this run expects {ps[i].Name} [{ps[i].Length}]");
            }

            ReadFloats(r, ps[i].Data);
            ReadFloats(r, optimizer.M[i]);
            ReadFloats(r, optimizer.V[i]);
            ps[i].MarkChanged();
        }

        optimizer.Step = state.OptimizerStep;
        return state;
    }

    /// <summary>
    /// The newest checkpoint whose file matches its marker. Newer ones with no marker (write never finished), a bad
    /// marker or a size/hash mismatch are skipped and listed. Interrupted writes are recovered first.
    /// </summary>
    public CheckpointScan FindLatest()
    {
        var skipped = new List<string>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return new CheckpointScan(null, 0, skipped);
        }

        var files = System.IO.Directory.GetFiles(Directory, Prefix + "*" + Suffix)
            .Select(p => (Path: p, Step: StepOf(p)))
            .Where(x => x.Step is not null)
            .OrderByDescending(x => x.Step)
            .ToList();
        foreach (var (path, step) in files)
        {
            var v = AtomicFile.Recover(path);
            if (v.IsOk)
            {
                return new CheckpointScan(path, step!.Value, skipped);
            }

            skipped.Add($"{Path.GetFileName(path)}: {v.Status} ({v.Message})");
        }

        return new CheckpointScan(null, 0, skipped);
    }

    /// <summary>Deletes every checkpoint except the newest <paramref name="keep"/> and <paramref name="bestStep"/>.</summary>
    public void Prune(int keep, long? bestStep)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return;
        }

        var steps = System.IO.Directory.GetFiles(Directory, Prefix + "*" + Suffix)
            .Select(StepOf).Where(s => s is not null).Select(s => s!.Value).OrderByDescending(s => s).ToList();
        foreach (long s in steps.Skip(keep))
        {
            if (s == bestStep)
            {
                continue;
            }

            string p = Path.Combine(Directory, FileName(s));
            File.Delete(p);
            File.Delete(p + AtomicFile.MarkerSuffix);
        }
    }

    private static CheckpointState ReadHeader(BinaryReader r, string path)
    {
        if (!r.ReadBytes(4).AsSpan().SequenceEqual("CYCK"u8) || r.ReadInt32() != 1)
        {
            throw new InvalidDataException($"{path} is not a CyLlm training checkpoint (version 1)");
        }

        int len = r.ReadInt32();
        if (len is <= 0 or > 64 << 20)
        {
            throw new InvalidDataException($"{path}: checkpoint header length {len} is invalid");
        }

        return JsonSerializer.Deserialize<CheckpointState>(r.ReadBytes(len), Json) ?? throw new InvalidDataException($"{path}: empty checkpoint header");
    }

    private static void WriteFloats(BinaryWriter w, float[] a) =>
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));

    private static void ReadFloats(BinaryReader r, float[] a)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan());
        try
        {
            r.BaseStream.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("checkpoint payload is truncated", e);
        }
    }
}
