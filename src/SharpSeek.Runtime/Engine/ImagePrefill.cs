// An image prompt -> engine input, through the prefix cache. The prompt (one image token id per image,
// as prepare_vl_inputs expects) is laid out (ImageSpans.Layout); its cache key is the expanded ids with
// every span position replaced by a negative key mixing the image's content hash (SHA-256 of its
// preprocessed patches and grid) with the place in the span, so a snapshot matches only the same image
// at the same place, never a different image of the same size and never text. The longest cached prefix
// that does not end inside a span is forked; only the images after it go through the tower; the rest of
// the prompt but its last token is fed with their rows. The engine continues with the last token (the
// request's Sequence and SequenceKey) and keeps the finished conversation under the key, so the next
// turn of the same conversation with the same image starts from that snapshot.
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers.V41.Vision;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Engine;

/// <summary>
/// An image prompt fed up to its last token: submit LastIds with Sequence and SequenceKey = Key (the caller
/// disposes Sequence after the run). PromptTokens counts the expanded prompt, CachedTokens the part forked.
/// </summary>
public sealed record PrefilledPrompt(int[] LastIds, ISequence Sequence, int PromptTokens, int[] Key, int CachedTokens);

public static class ImagePrefill
{
    /// <summary>64 bits of SHA-256 over the image's grid and preprocessed patches: the same pixels after preprocessing give the same hash.</summary>
    public static long ContentHash(ImagePatches<float> image)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes<int>([image.Grid.Height, image.Grid.Width]));
        sha.AppendData(MemoryMarshal.AsBytes(image.Patches.AsSpan()));
        Span<byte> digest = stackalloc byte[32];
        sha.GetHashAndReset(digest);
        return MemoryMarshal.Read<long>(digest);
    }

    /// <summary>The cache key of an expanded prompt: text ids as they are, span position j of image i a negative key of (hash_i, j).</summary>
    public static int[] Key(ReadOnlySpan<int> ids, ReadOnlySpan<int> types, ReadOnlySpan<int> spanStarts, ReadOnlySpan<long> hashes)
    {
        int[] key = ids.ToArray();
        for (int i = 0; i < spanStarts.Length; i++)
        {
            int start = spanStarts[i];
            for (int p = start; p < key.Length; p++)   // IMAGE_START .. IMAGE_END
            {
                ulong z = unchecked((ulong)hashes[i] + (ulong)(p - start + 1) * 0x9E3779B97F4A7C15UL);   // splitmix64 of (hash, place)
                z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
                z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
                key[p] = -1 - (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
                if (types[p] == DeepSeekV41<float>.TypeImageEnd) break;
            }
        }
        return key;
    }

    /// <summary>
    /// Lays out, keys, forks the longest cached prefix (if the engine has a cache) and feeds the prompt up to its last
    /// token. The prompt must end with text after its last image.
    /// </summary>
    public static PrefilledPrompt Prepare(InferenceEngine engine, V41LanguageModel model, ReadOnlySpan<int> ids, IReadOnlyList<ImagePatches<float>> images, int maxRollback = 16)
    {
        DeepSeekV41<float> net = model.Network;
        // 1. layout and key
        var (expanded, types, starts) = ImageSpans.Layout(net, ids, images.Select(i => i.Grid).ToArray());
        if (types[^1] != DeepSeekV41<float>.TypeText) throw new ArgumentException("the prompt must end with text after its last image");
        if (!Generation.ContextRule.PromptFits(expanded.Length, model.MaxContext)) throw new ArgumentException(Generation.ContextRule.PromptTooLong(expanded.Length, model.MaxContext));
        long[] hashes = images.Select(ContentHash).ToArray();
        int[] key = Key(expanded, types, starts, hashes);
        int n = expanded.Length - 1;
        // 2. the longest cached prefix that ends outside every span (a cut inside one is moved back to its start)
        ISequence? seq = null;
        int from = 0;
        int limit = expanded.Length;
        while (engine.Cache.Enabled && engine.Cache.TryFork(key.AsSpan(0, limit), draft: false, maxRollback) is { } hit)
        {
            int next = types[hit.Length];
            if (next is DeepSeekV41<float>.TypeText or DeepSeekV41<float>.TypeImageStart) { seq = hit.Sequence; from = hit.Length; break; }
            hit.Sequence.Dispose();
            limit = starts[Array.FindLastIndex(starts, s => s < hit.Length)] + 1;   // prefixes of at most that span's start
        }
        seq ??= model.CreateSequence(maxRollback);
        // 3. only the images after the fork through the tower; the rest of the prompt but its last token fed
        try
        {
            int firstImage = Array.FindIndex(starts, s => s >= from);
            if (from < n)
            {
                float[] rows = firstImage < 0 ? [] : ImageSpans.Encode(net, images.Skip(firstImage).ToArray());
                model.ForwardImages(seq, expanded.AsSpan(from, n - from), new V41ImageInput<float>(types[from..n], rows), new float[(long)(n - from) * model.VocabSize]);
            }
        }
        catch { seq.Dispose(); throw; }
        return new PrefilledPrompt([expanded[n]], seq, expanded.Length, key[..n], from);
    }
}
