// serve --parallel's command protocol without MPI: rank 0's engine runs over a FollowedModel, a
// follower thread runs ModelFollower on its own copy of the tiny checkpoint, the commands pass through
// an in-memory channel. A batch of speculative, prefix-cached, sampled requests makes every call
// kind (create, prefill chunks, batched steps, drafts, rollbacks, forks, frees); the follower must
// compute exactly the logits rank 0 computed, call for call, and hold no sequence at shutdown.
using System.Collections.Concurrent;
using SharpSeek.Runtime.Distributed;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Tests.Distributed;

public sealed class FollowerProtocolTests
{
    [Fact]
    public async Task AFollowerComputesTheSameLogitsAsRankZeroCallForCall()
    {
        using var leaderTiny = new TinyCheckpoint();
        using var followerTiny = new TinyCheckpoint();
        var channel = new InMemoryChannel();
        var leaderLog = new Recording(leaderTiny.Model);
        var followerLog = new Recording(followerTiny.Model);
        long commands = 0;
        Exception? failure = null;
        var follower = new Thread(() =>
        {
            try { commands = ModelFollower.Run(followerLog, channel.Follower); }
            catch (Exception e) { failure = e; }
        });
        follower.Start();

        var followed = new FollowedModel(leaderLog, channel.Leader);
        int[] system = Enumerable.Range(0, 40).Select(i => (i * 37 + 11) % 1000 + 2).ToArray();
        using (var engine = new InferenceEngine(followed, new EngineOptions { PrefixCacheBytes = 16 << 20, PrefillChunk = 16, MaxBatch = 4 }))
        {
            GenerationRequest Req(int k) => new()
            {
                PromptIds = [.. system, .. Enumerable.Range(0, 5 + k).Select(i => (i * 13 + k * 101) % 1000 + 2)],
                MaxNewTokens = 12, Speculative = true, CachePoints = [system.Length],
                Sampling = new SamplingOptions { Temperature = 1, Seed = (ulong)(7 + k) },
            };
            _ = await engine.Submit(Req(0)).Completion;   // fills the prefix cache
            var handles = engine.SubmitBatch([Req(1), Req(2), Req(3)]);
            foreach (var h in handles) _ = await h.Completion;
        }
        followed.Shutdown();
        Assert.True(follower.Join(TimeSpan.FromSeconds(60)), "the follower did not return after shutdown");
        Assert.Null(failure);

        Assert.Equal(leaderLog.Calls, followerLog.Calls);   // the same calls in the same order
        Assert.Equal(leaderLog.Logits.Count, followerLog.Logits.Count);
        for (int i = 0; i < leaderLog.Logits.Count; i++) Assert.Equal(leaderLog.Logits[i], followerLog.Logits[i]);
        foreach (string kind in (string[])["Create", "Batch", "Draft", "Truncate", "Fork", "Free"])
            Assert.Contains(leaderLog.Calls, c => c.StartsWith(kind, StringComparison.Ordinal));
        Assert.Equal(0, followerLog.Live);
        Assert.True(commands > 10);
    }

    [Fact]
    public void ACommandForAnUnknownSequenceIsReportedNotIgnored()
    {
        using var tiny = new TinyCheckpoint();
        var channel = new InMemoryChannel();
        channel.Leader.SendToFollowers(FollowerCommand.Encode(FollowerOp.Forward, 42, payload: [5, 6]));
        var e = Assert.Throws<InvalidOperationException>(() => ModelFollower.Run(tiny.Model, channel.Follower));
        Assert.Contains("sequence slot 42", e.Message);
        channel.Leader.SendToFollowers([99, 0, 0, 0]);
        Assert.Throws<InvalidDataException>(() => ModelFollower.Run(tiny.Model, channel.Follower));
    }

    private sealed class InMemoryChannel
    {
        private readonly BlockingCollection<int[]> _queue = [];
        public ICommandChannel Leader => new End(this, 0);
        public ICommandChannel Follower => new End(this, 1);

        private sealed class End(InMemoryChannel c, int rank) : ICommandChannel
        {
            public int Rank => rank;
            public int Ranks => 2;
            public void SendToFollowers(ReadOnlySpan<int> message) => c._queue.Add(message.ToArray());
            public int[] ReceiveFromLeader() => c._queue.Take();
        }
    }

    /// <summary>Every call made on the model and the logits it wrote (copied), and how many sequences are alive.</summary>
    private sealed class Recording(IBatchLanguageModel inner) : IBatchLanguageModel
    {
        public List<string> Calls { get; } = [];
        public List<float[]> Logits { get; } = [];
        public int Live;
        public int VocabSize => inner.VocabSize;
        public int MaxContext => inner.MaxContext;
        public IReadOnlyList<int> EosTokenIds => inner.EosTokenIds;
        public bool HasDraftHead => inner.HasDraftHead;

        public ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false)
        {
            Calls.Add($"Create {maxRollback} {useDraftHead}");
            Live++;
            return new Seq(this, inner.CreateSequence(maxRollback, useDraftHead));
        }

        private void Log(string call, ReadOnlySpan<int> ids, Span<float> logits)
        {
            Calls.Add($"{call} {string.Join(',', ids.ToArray())}");
            Logits.Add(logits.ToArray());
        }

        public void Forward(ISequence s, ReadOnlySpan<int> ids, Span<float> logits) { inner.Forward(((Seq)s).Inner, ids, logits); Log("Forward", ids, logits); }
        public void ForwardLast(ISequence s, ReadOnlySpan<int> ids, Span<float> logits) { inner.ForwardLast(((Seq)s).Inner, ids, logits[..VocabSize]); Log("Last", ids, logits[..VocabSize]); }
        public void ForwardSteps(ISequence s, ReadOnlySpan<int> ids, Span<float> logits) { inner.ForwardSteps(((Seq)s).Inner, ids, logits); Log("Steps", ids, logits); }
        public void ForwardDraft(ISequence s, int nextId, Span<float> logits) { inner.ForwardDraft(((Seq)s).Inner, nextId, logits[..VocabSize]); Log("Draft", [nextId], logits[..VocabSize]); }

        public void ForwardBatch(IReadOnlyList<ISequence> sequences, ReadOnlySpan<int> ids, Span<float> logits)
        {
            inner.ForwardBatch(sequences.Select(s => ((Seq)s).Inner).ToArray(), ids, logits[..(ids.Length * VocabSize)]);
            Log("Batch", ids, logits[..(ids.Length * VocabSize)]);
        }

        private sealed class Seq(Recording owner, ISequence inner) : ISequence
        {
            public ISequence Inner => inner;
            public int Length => inner.Length;
            public int DraftLength => inner.DraftLength;
            public int MaxRollback => inner.MaxRollback;
            public long BytesAllocated => inner.BytesAllocated;
            public void Truncate(int length) { owner.Calls.Add($"Truncate {length}"); inner.Truncate(length); }
            public ISequence Fork() { owner.Calls.Add("Fork"); owner.Live++; return new Seq(owner, inner.Fork()); }
            public void Dispose() { owner.Calls.Add("Free"); owner.Live--; inner.Dispose(); }
        }
    }
}
