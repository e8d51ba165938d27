// A deterministic mixed text corpus (English prose, code, Chinese/Japanese, numbers) generated in
// code, for tokenizer benchmarks and trainer timing without shipping data files.
using System.Text;

namespace SharpSeek.Tokenization.Training;

public static class BenchCorpus
{
    private static readonly string[] Prose =
    [
        "the", "model", "reads", "text", "and", "writes", "answers", "with", "care", "because", "every", "token",
        "matters", "when", "language", "is", "turned", "into", "numbers", "that", "a", "network", "can", "learn",
        "from", "large", "collections", "of", "documents", "books", "articles", "It's", "however", "often",
    ];
    private static readonly string[] Code =
    [
        "def encode(self, text):\n    return [self.vocab[t] for t in text.split()]\n",
        "for (int i = 0; i < n; ++i) {\n\tsum += a[i] * b[i];\n}\n",
        "const result = items.filter((x) => x.id !== null).map(x => x.value ?? 0);\n",
        "if err != nil {\n\treturn fmt.Errorf(\"failed: %w\", err)\n}\n",
        "<div class=\"row\"><span>{{ item.name }}</span></div>\n",
    ];
    private static readonly string[] Cjk =
    [
        "深度求索发布了新的语言模型，", "它在推理和编程任务上表现出色。", "自然言語処理の研究は急速に進んでいます。",
        "机器学习需要大量的数据和计算资源。", "トークナイザーはテキストを分割します。",
    ];

    private static readonly string[] Syllables =
    [
        "ka", "to", "ri", "men", "sal", "ve", "dor", "in", "tion", "al", "pre", "con", "ex", "str", "ang", "ol", "um", "qu",
        "ber", "ich", "ste", "lo", "na", "th", "ous", "ly", "ment", "pro", "dis", "able", "er", "ing", "ed", "s",
    ];

    private static string PseudoWord(Random rng)
    {
        var sb = new StringBuilder();
        for (int i = 0, n = rng.Next(1, 5); i < n; i++) sb.Append(Syllables[rng.Next(Syllables.Length)]);
        return sb.ToString();
    }

    /// <summary>About <paramref name="megabytes"/> MB (UTF-8) of mixed text, the same for the same seed.</summary>
    public static string Generate(double megabytes, int seed = 42)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        long target = (long)(megabytes * 1024 * 1024);
        long bytes = 0;
        while (bytes < target)
        {
            int start = sb.Length;
            switch (rng.Next(4))
            {
                case 0:
                    // Real words mixed with pseudo-words from syllables, so the text has a long-tailed vocabulary.
                    for (int i = 0, n = rng.Next(8, 30); i < n; i++)
                        sb.Append(i == 0 ? "" : " ").Append(rng.Next(3) == 0 ? PseudoWord(rng) : Prose[rng.Next(Prose.Length)]);
                    sb.Append(rng.Next(3) == 0 ? ".\n\n" : ". ");
                    break;
                case 1: sb.Append(Code[rng.Next(Code.Length)]); break;
                case 2: for (int i = 0, n = rng.Next(1, 4); i < n; i++) sb.Append(Cjk[rng.Next(Cjk.Length)]); sb.Append('\n'); break;
                default:
                    sb.Append("In ").Append(rng.Next(1900, 2100)).Append(", revenue was $").Append(rng.Next(1, 99999)).Append('.')
                      .Append(rng.Next(0, 99)).Append(" million (").Append(rng.NextDouble().ToString("P1", System.Globalization.CultureInfo.InvariantCulture)).Append(").\n");
                    break;
            }
            bytes += Encoding.UTF8.GetByteCount(sb.ToString(start, sb.Length - start));
        }
        return sb.ToString();
    }
}
