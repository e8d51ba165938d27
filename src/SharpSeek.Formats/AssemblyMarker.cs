namespace SharpSeek.Formats;
