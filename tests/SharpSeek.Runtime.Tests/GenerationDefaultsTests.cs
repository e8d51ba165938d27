// generation_config.json: the HF sampling keys and the V4 chat switches, parsed once with ranges;
// a wrong value is an error naming the key and the file; no file means V4's own defaults.
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Tests;

public sealed class GenerationDefaultsTests
{
    [Fact]
    public void Reads_sampling_and_chat_switches_and_ignores_other_hf_keys()
    {
        GenerationDefaults d = GenerationDefaults.Parse("""
            {"bos_token_id": 0, "eos_token_id": [1, 2], "transformers_version": "4.57", "do_sample": true,
             "temperature": 0.7, "top_p": 0.9, "top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1,
             "thinking": true, "reasoning_effort": "max"}
            """, "g.json");
        Assert.True(d.Thinking);
        Assert.Equal(ReasoningLevel.Max, d.Effort);
        Assert.Equal(0.7f, d.Temperature);
        Assert.Equal(0.9, d.TopP);
        Assert.Equal(40, d.TopK);
        Assert.Equal(0.05, d.MinP);
        Assert.Equal(1.1f, d.RepetitionPenalty);
        d.Sampling.Validate();
    }

    [Fact]
    public void Do_sample_false_is_greedy_and_a_missing_file_is_none()
    {
        Assert.Equal(0f, GenerationDefaults.Parse("""{"do_sample": false, "temperature": 0.7}""", "g.json").Temperature);
        string dir = Directory.CreateTempSubdirectory().FullName;
        try { Assert.Same(GenerationDefaults.None, GenerationDefaults.Load(dir)); }
        finally { Directory.Delete(dir, true); }
        Assert.False(GenerationDefaults.None.Thinking);
    }

    [Theory]
    [InlineData("""{"temperature": "hot"}""", "temperature")]
    [InlineData("""{"temperature": 3}""", "temperature")]
    [InlineData("""{"top_p": 0}""", "top_p")]
    [InlineData("""{"top_k": 2.5}""", "top_k")]
    [InlineData("""{"min_p": -1}""", "min_p")]
    [InlineData("""{"repetition_penalty": 0}""", "repetition_penalty")]
    [InlineData("""{"thinking": "yes"}""", "thinking")]
    [InlineData("""{"reasoning_effort": "extreme"}""", "reasoning_effort")]
    [InlineData("""{"do_sample": 1}""", "do_sample")]
    [InlineData("""[1]""", "object")]
    [InlineData("""{"temperature": """, "JSON")]
    public void Bad_values_name_the_key_and_the_file(string json, string key)
    {
        var e = Assert.Throws<InvalidDataException>(() => GenerationDefaults.Parse(json, "dir/generation_config.json"));
        Assert.Contains(key, e.Message);
        Assert.Contains("dir/generation_config.json", e.Message);
    }
}
