// `sharpseek chat` /image on the golden V4.1 vision checkpoint (tests/fixtures/v41-tiny): an attached
// image goes with the next message (its span in the memory, keyed by the image's content), the next
// turn feeds only the new text, /undo drops the image with its exchange; a model without a vision
// tower, a missing file and a corrupt file get clear errors through the console.
using SharpSeek.Cli.Chat;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Tokenization;

namespace SharpSeek.Cli.Tests;

public sealed class ChatImageTests(ChatModelFixture fx) : IClassFixture<ChatModelFixture>
{
    private static readonly string V41Dir = SharpSeekProcess.Fixture("v41-tiny");
    private static readonly string Png = Path.Combine(V41Dir, "image.png");

    private static ChatSettings Settings => new() { Sampling = new SamplingOptions { Temperature = 0 }, MaxAnswerTokens = 3 };

    private static (ModelDirectory Model, Tokenizer Tokenizer) OpenVision()
    {
        Tokenizer tok = Tokenizer.Load(Path.Combine(V41Dir, "tokenizer.json"));
        return (ModelDirectory.Open(V41Dir, engramTokenMap: _ => SharpSeek.Tokenization.Engram.CompressedTokenMap.Build(tok).Map), tok);
    }

    [Fact]
    public void ImageGoesWithTheNextMessageAndIsNotFedAgain()
    {
        var (md, tok) = OpenVision();
        using var _ = md;
        using var s = new ChatSession(md.Model, tok, Settings);
        int span = s.AttachImage(Png);
        Assert.Equal(8, span);   // 2 x 2 aligner rows + 2 newlines + start + end (the golden grid)
        ChatTurn first = s.Send("What is this?");
        Assert.Equal(0, s.AttachedImages);
        Assert.Equal(8, s.MemoryIds.Count(id => id < 0));   // the span, keyed by the image's content
        Assert.Equal(s.MemoryIds.Count, s.Sequence.Length);
        Assert.True(first.PromptIdsFed >= span + 3);
        ChatTurn second = s.Send("And its colour?");
        // only the new turn is fed: the image is neither encoded nor fed again
        int[] target = s.PromptIds("probe");
        Assert.True(second.PromptIdsFed < target.Length - span, $"second turn fed {second.PromptIdsFed} of {target.Length}");
        Assert.Equal(8, s.MemoryIds.Count(id => id < 0));
        Assert.Equal(s.MemoryIds.ToArray(), target[..s.MemoryIds.Count]);
        // /undo twice: the image leaves with its exchange
        Assert.True(s.Undo());
        Assert.True(s.Undo());
        Assert.Empty(s.Messages);
        s.Send("Hello");
        Assert.DoesNotContain(s.MemoryIds, id => id < 0);
    }

    [Fact]
    public void ConsoleRefusesImagesForAModelWithoutVisionAndBadFiles()
    {
        using var text = new ChatSession(fx.Model.Model, fx.Tokenizer, Settings);
        var output = new StringWriter();
        new ChatConsole(text, new StringReader($"/image {Png}\n/image\n/exit\n"), output, ansi: false).Run();
        Assert.Contains("error: /image: this model has no vision tower", output.ToString());
        Assert.Contains("usage: /image PATH", output.ToString());

        var (md, tok) = OpenVision();
        using var _ = md;
        using var s = new ChatSession(md.Model, tok, Settings);
        string corrupt = Path.Combine(fx.Dir, "corrupt.png");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(Png)[..64]);
        output = new StringWriter();
        new ChatConsole(s, new StringReader($"/image {Path.Combine(fx.Dir, "missing.png")}\n/image {corrupt}\n/image {Png}\n/exit\n"), output, ansi: false).Run();
        string o = output.ToString();
        Assert.Contains($"error: /image '{Path.Combine(fx.Dir, "missing.png")}'", o);
        Assert.Contains($"error: /image '{corrupt}'", o);
        Assert.Contains("image attached (8 tokens)", o);
        Assert.Equal(1, s.AttachedImages);
    }
}
