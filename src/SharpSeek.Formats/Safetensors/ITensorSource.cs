// Boundary: the read-only contract every checkpoint backend (one file, shards, memory) fulfils.
// Model code asks for tensors by name through this and never sees files.
using System.Diagnostics.CodeAnalysis;

namespace SharpSeek.Formats.Safetensors;

/// <summary>A named set of tensors. Views stay valid until the source is disposed.</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>All tensor names (no <c>__metadata__</c>).</summary>
    IEnumerable<string> Names { get; }

    /// <summary>The path (or a label) used in error messages.</summary>
    string Description { get; }

    bool Contains(string name);

    bool TryGet(string name, [NotNullWhen(true)] out TensorView? view);

    /// <summary>Returns the tensor or throws <see cref="KeyNotFoundException"/> naming it and <see cref="Description"/>.</summary>
    TensorView Get(string name);
}

/// <summary>Shared lookup helpers so every source words its errors the same way.</summary>
internal static class TensorSourceErrors
{
    public static KeyNotFoundException Missing(string name, string description) =>
        new($"tensor '{name}' not found in checkpoint {description}");
}

/// <summary>What a <see cref="TensorView"/> needs from the memory that holds its bytes.</summary>
internal interface ITensorMemoryOwner
{
    bool IsDisposed { get; }

    string Description { get; }
}
