namespace CyLlm.Models.Gguf;

/// <summary>
/// A GGUF file opened without interpreting it as a model (no architecture checks): its metadata and tensor
/// views. Used for files that are not whole models, such as llama.cpp LoRA adapters.
/// </summary>
public sealed unsafe class GgufRawFile : IDisposable
{
    private readonly MappedFile _file;

    private GgufRawFile(MappedFile file, IReadOnlyDictionary<string, object> metadata, Dictionary<string, WeightTensor> tensors)
    {
        _file = file;
        Metadata = metadata;
        Tensors = tensors;
    }

    public IReadOnlyDictionary<string, object> Metadata { get; }

    public IReadOnlyDictionary<string, WeightTensor> Tensors { get; }

    public static GgufRawFile Open(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            var header = GgufReader.ReadHeader(file.HeaderSpan, file.Length, Path.GetFileName(path));
            var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
            foreach (var t in header.Tensors)
            {
                tensors[t.Name] = new WeightTensor
                {
                    Name = t.Name,
                    Type = t.Type,
                    Shape = t.Shape,
                    Data = (nint)(file.Pointer + header.DataOffset + (long)t.Offset),
                    ByteLength = t.ByteLength,
                };
            }

            return new GgufRawFile(file, header.Metadata, tensors);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose() => _file.Dispose();
}
