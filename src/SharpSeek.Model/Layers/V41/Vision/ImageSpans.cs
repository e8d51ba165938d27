// The official prepare_vl_inputs expansion: a prompt holding ONE image_token_id per image becomes the
// token stream with each of those ids replaced by its span IMAGE_START, (IMAGE x n_llm_w, NEWLINE) x
// n_llm_h, IMAGE_END - every span position carrying image_token_id, told apart by its token type -
// and the images' aligner rows for the IMAGE slots (all images through the tower in one batch).
using System.Numerics;
using SharpSeek.Model.Architectures;

namespace SharpSeek.Model.Layers.V41.Vision;

/// <summary>One preprocessed image: patches [n_vit_h * n_vit_w, 3, p, p] and its patch grid.</summary>
public sealed record ImagePatches<T>(T[] Patches, PatchGrid Grid) where T : unmanaged, IFloatingPointIeee754<T>;

public static class ImageSpans
{
    /// <summary>Token types of one span (TEXT -1 is never in a span).</summary>
    public static int[] Types(int llmH, int llmW)
    {
        var t = new List<int>(llmH * (llmW + 1) + 2) { DeepSeekV41<float>.TypeImageStart };
        for (int r = 0; r < llmH; r++)
        {
            for (int c = 0; c < llmW; c++) t.Add(DeepSeekV41<float>.TypeImage);
            t.Add(DeepSeekV41<float>.TypeImageNewLine);
        }
        t.Add(DeepSeekV41<float>.TypeImageEnd);
        return [.. t];
    }

    /// <summary>The expanded stream of <paramref name="ids"/> (one image token per image, in order) without encoding: ids, token types and where each image's span starts.</summary>
    public static (int[] Ids, int[] Types, int[] SpanStarts) Layout<T>(DeepSeekV41<T> net, ReadOnlySpan<int> ids, IReadOnlyList<PatchGrid> grids)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int imageId = net.Config.ImageTokenId, r = net.Config.Vision.DownsampleRatio;
        int placeholders = 0;
        foreach (int id in ids) if (id == imageId) placeholders++;
        if (placeholders != grids.Count)
            throw new ArgumentException($"the prompt holds {placeholders} image token{(placeholders == 1 ? "" : "s")} (id {imageId}) but {grids.Count} image{(grids.Count == 1 ? " was" : "s were")} given: one image token per image, where its span starts");
        if (grids.Count > 0 && !net.HasVision) throw new NotSupportedException("this model has no vision tower (vision_n_layers 0): images cannot be given");
        var outIds = new List<int>(ids.Length);
        var types = new List<int>(ids.Length);
        var starts = new int[grids.Count];
        int next = 0;
        foreach (int id in ids)
        {
            if (id != imageId) { outIds.Add(id); types.Add(DeepSeekV41<T>.TypeText); continue; }
            starts[next] = outIds.Count;
            var (lh, lw) = VisionAligner<T>.LlmGrid(grids[next++], r);
            foreach (int t in Types(lh, lw)) { outIds.Add(imageId); types.Add(t); }
        }
        return ([.. outIds], [.. types], starts);
    }

    /// <summary>Expands <paramref name="ids"/> (one image token per image, in order) and encodes the images: the ids to feed and their image input.</summary>
    public static (int[] Ids, V41ImageInput<T> Input) Expand<T>(DeepSeekV41<T> net, ReadOnlySpan<int> ids, IReadOnlyList<ImagePatches<T>> images)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // 1. the expanded stream and its token types
        var (outIds, types, _) = Layout(net, ids, images.Select(i => i.Grid).ToArray());
        // 2. every image through the tower and aligner in one batch                        [sum cells, dim]
        return (outIds, new V41ImageInput<T>(types, Encode(net, images)));
    }

    /// <summary>The aligner rows of <paramref name="images"/> (one batch through the tower), in order.</summary>
    public static T[] Encode<T>(DeepSeekV41<T> net, IReadOnlyList<ImagePatches<T>> images) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (images.Count == 0) return [];
        var patches = new T[images.Sum(i => (long)i.Patches.Length)];
        long at = 0;
        foreach (var img in images) { img.Patches.CopyTo(patches, at); at += img.Patches.Length; }
        return net.EncodeImages(patches, images.Select(i => i.Grid).ToArray()).Rows;
    }
}
