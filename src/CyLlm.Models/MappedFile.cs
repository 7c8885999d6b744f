using System.IO.MemoryMappedFiles;

namespace CyLlm.Models;

/// <summary>
/// A read-only memory map of a whole file. Weights are used in place from the map, so a model costs page
/// cache, not managed heap, and loads in the time it takes to parse its header.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _pointer;

    private MappedFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        Path = path;
        Length = length;
        _map = map;
        _view = view;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref _pointer);
        _pointer += view.PointerOffset;
    }

    public string Path { get; }

    public long Length { get; }

    public byte* Pointer => _pointer;

    public ReadOnlySpan<byte> Span(long offset, int length) => new(_pointer + offset, length);

    /// <summary>The first min(Length, int.MaxValue) bytes, enough for any header.</summary>
    public ReadOnlySpan<byte> HeaderSpan => new(_pointer, (int)Math.Min(Length, int.MaxValue));

    /// <summary>True when <paramref name="address"/> lies inside this map.</summary>
    public bool Contains(nint address) => address >= (nint)_pointer && address < (nint)_pointer + (nint)Length;

    /// <summary>
    /// Drops the resident pages of a range from this process (madvise DONTNEED on Linux): the data stays in
    /// the page cache and faults back in if read again. Used after weights were copied into another layout.
    /// </summary>
    public void ReleasePages(nint address, long length)
    {
        if (!OperatingSystem.IsLinux() || !Contains(address))
        {
            return;
        }

        long page = Environment.SystemPageSize;
        long start = ((long)address + page - 1) / page * page;
        long end = ((long)address + length) / page * page;
        if (end > start)
        {
            _ = Madvise((nint)start, (nuint)(end - start), 4 /* MADV_DONTNEED */);
        }
    }

    /// <summary>
    /// The file <paramref name="path"/> finally names: a symlink's size is that of its target text, not of the model, and
    /// the Hugging Face cache serves every model through a snapshots/ symlink to its blob.
    /// </summary>
    public static FileInfo Target(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target ? target : info;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    public static MappedFile Open(string path)
    {
        var info = Target(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"model file not found: {path}", path);
        }

        if (info.Length == 0)
        {
            throw new ModelFormatException($"{path}: the file is empty");
        }

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new MappedFile(path, info.Length, map, view);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_pointer != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _pointer = null;
        }

        _view.Dispose();
        _map.Dispose();
    }
}
