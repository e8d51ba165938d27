// Where read-ahead advice goes: the kernel (madvise on the mapped checkpoint, Linux) or, in tests, a
// recorder. MADV_WILLNEED queues the reads of a range and returns; MADV_RANDOM turns off the fault
// read-around of a range (on this machine's disk a fault would read 8 MB around the faulting page).
namespace SharpSeek.Model.Weights.ReadAhead;

public interface IPageAdvisor
{
    /// <summary>The bytes [address, address + length) will be read soon.</summary>
    void WillNeed(nint address, long length);

    /// <summary>The bytes [address, address + length) are read in no particular order: fault in only the page touched.</summary>
    void Random(nint address, long length);
}

/// <summary>madvise(2) on the memory-mapped checkpoint; elsewhere than Linux the advice is dropped.</summary>
public sealed unsafe class MadvisePageAdvisor : IPageAdvisor
{
    public void WillNeed(nint address, long length) => Engram.PagePrefetch.WillNeed((byte*)address, length);

    public void Random(nint address, long length) => Engram.PagePrefetch.Random((byte*)address, length);
}
