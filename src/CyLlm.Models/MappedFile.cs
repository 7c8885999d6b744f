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

    public static MappedFile Open(string path)
    {
        var info = new FileInfo(path);
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
