// THE command protocol between rank 0 (FollowedModel) and the other ranks (ModelFollower) under
// `serve --parallel expert|pipeline`: every call rank 0's engine makes on its model or a sequence,
// as one message of ints [op, slot, a, b, payload...]. Sequences are named by slot numbers rank 0
// hands out, so every rank's table of sequences stays the same.
namespace SharpSeek.Runtime.Distributed;

public enum FollowerOp
{
    /// <summary>slot = new sequence, a = maxRollback, b = useDraftHead (0/1).</summary>
    Create = 1,
    /// <summary>Forward / ForwardLast / ForwardSteps: slot, payload = ids.</summary>
    Forward = 2, ForwardLast = 3, ForwardSteps = 4,
    /// <summary>payload = n slots then n ids (token i to slot i).</summary>
    ForwardBatch = 5,
    /// <summary>slot, a = the next id.</summary>
    ForwardDraft = 6,
    /// <summary>rollback: slot, a = length.</summary>
    Truncate = 7,
    /// <summary>slot = source, a = the copy's slot.</summary>
    Fork = 8,
    /// <summary>slot freed.</summary>
    Free = 9,
    /// <summary>the server stopped: followers return.</summary>
    Shutdown = 10,
}

public static class FollowerCommand
{
    public const int HeaderInts = 4;

    public static int[] Encode(FollowerOp op, int slot = 0, int a = 0, int b = 0, ReadOnlySpan<int> payload = default)
    {
        var m = new int[HeaderInts + payload.Length];
        m[0] = (int)op; m[1] = slot; m[2] = a; m[3] = b;
        payload.CopyTo(m.AsSpan(HeaderInts));
        return m;
    }
}
