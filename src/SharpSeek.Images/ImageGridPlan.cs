// The official resize plan (image_processor.py: plan_image_grid, safe_resize, solve_resize_ratio,
// llm_grid): an image of width x height becomes best_width x best_height pixels (multiples of the
// patch size), n_vit = best / p patches and ceil(n_vit / r) LLM rows per axis, with the span
// (n_llm_w + 1) * n_llm_h + 2 tokens at most max_n_token. Python's int/floor/ceil reproduced.
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Images;

public readonly record struct ImageGridPlan(int LlmHeight, int LlmWidth, int BestHeight, int BestWidth, int PatchSize)
{
    public int VitHeight => BestHeight / PatchSize;
    public int VitWidth => BestWidth / PatchSize;

    /// <summary>Tokens of the image span: IMAGE_START, (n_llm_w IMAGE + NEWLINE) per LLM row, IMAGE_END.</summary>
    public int SpanTokens => NumImageTokens(LlmHeight, LlmWidth);

    public static int NumImageTokens(int llmH, int llmW) => llmH * (llmW + 1) + 2;

    public static (int H, int W) LlmGrid(int bestHeight, int bestWidth, int p, int r)
        => ((bestHeight / p + r - 1) / r, (bestWidth / p + r - 1) / r);

    public static ImageGridPlan For(int width, int height, VisionConfig v)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width} x {height} is empty");
        int p = v.PatchSize;
        // 1. clamp the aspect ratio (max_wh_ratio), upscale below min_pixels (Python int() truncation)
        double w = width, h = height;
        if (v.MaxWhRatio is int ratio && w > h * ratio) w = h * ratio;
        if (w * h > 0 && w * h < v.MinPixels)
        {
            double s = Math.Sqrt(v.MinPixels / (w * h));
            w = Math.Truncate(w * s);
            h = Math.Truncate(h * s);
        }
        // 2. round up to whole patches, then shrink until the span fits max_n_token
        int bestW = (int)Math.Ceiling(w / p) * p, bestH = (int)Math.Ceiling(h / p) * p;
        return SafeResize(h, w, bestH, bestW, p, v.DownsampleRatio, v.MaxNumTokens);
    }

    private static ImageGridPlan SafeResize(double h, double w, int bestH, int bestW, int p, int r, int maxTokens)
    {
        var (lh, lw) = LlmGrid(bestH, bestW, p, r);
        if (NumImageTokens(lh, lw) > maxTokens)
        {
            (bestH, bestW) = SolveResizeRatio(h, w, p, r, maxTokens);
            (lh, lw) = LlmGrid(bestH, bestW, p, r);
            if (NumImageTokens(lh, lw) > maxTokens) throw new InvalidOperationException($"resize plan {bestW} x {bestH} still costs {NumImageTokens(lh, lw)} tokens > {maxTokens}");
        }
        return new ImageGridPlan(lh, lw, bestH, bestW, p);
    }

    /// <summary>The largest aspect-preserving pixel size whose token grid fits max_n_token.</summary>
    private static (int H, int W) SolveResizeRatio(double h, double w, int p, int r, int maxTokens)
    {
        double ar = h / w;
        double maxW = Math.Sqrt((maxTokens - 2) / ar + 0.25) - 0.5;
        double maxH = maxW * ar;
        int cell = p * r;
        if (maxW < 1.0) return ((maxTokens - 2) / 2 * cell, cell);   // very tall: one column
        if (maxH < 1.0) return (cell, (maxTokens - 3) * cell);       // very wide: one row
        double beta = Math.Min(Math.Floor(maxW) * cell / w, Math.Floor(maxH) * cell / h);
        return ((int)Math.Floor(h * beta / p) * p, (int)Math.Floor(w * beta / p) * p);
    }
}
