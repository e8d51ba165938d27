// Seeded random strings for property tests: ASCII, CJK, kana, Hangul, emoji and other astral code
// points, digits (incl. non-ASCII numerics), whitespace runs, code punctuation and special-token text.
using System.Text;

namespace SharpSeek.Tokenization.Tests;

internal static class RandomText
{
    private static readonly string[] Fragments =
    [
        " ", "  ", "\t", "\n", "\r\n", "\n\n", "   \n", "\u00a0", "\u3000", "\u200b", "\u200d",
        "def ", "return x;", "{}", "();", "=>", "<div>", "...", "?!", "“", "”", "、", "。",
        "Hello", "world", "naïve", "café", "Привет", "مرحبا", "हिन्दी", "e\u0301",
        "🙂", "👍🏽", "👨‍👩‍👧", "🇺🇸", "❤️", "𝔘", "𠀀", "𪚥", "١٢٣", "１２３", "½", "Ⅻ",
        "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>", "<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>", "｜DSML｜", "<|EOT|>",
    ];

    public static string Next(Random rng, int maxParts = 20)
    {
        var sb = new StringBuilder();
        int n = rng.Next(1, maxParts + 1);
        for (int i = 0; i < n; i++)
        {
            switch (rng.Next(8))
            {
                case 0: sb.Append((char)rng.Next(0x20, 0x7F)); break;
                case 1: sb.Append((char)rng.Next(0x4E00, 0x9FFF)); break;
                case 2: sb.Append((char)rng.Next(0x3040, 0x3100)); break;
                case 3: sb.Append((char)rng.Next(0xAC00, 0xD7A3)); break;
                case 4: sb.Append(char.ConvertFromUtf32(rng.Next(0x1F300, 0x1FAFF))); break;
                case 5: sb.Append(rng.Next(0, 1_000_000)); break;
                case 6: sb.Append((char)rng.Next(0x00A0, 0x3000)); break;
                default: sb.Append(Fragments[rng.Next(Fragments.Length)]); break;
            }
        }
        return sb.ToString();
    }
}
