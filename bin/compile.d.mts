export declare const ROOT: string;
export declare function sourceFiles(root?: string): string[];
export declare function currentMain(root?: string): string | undefined;
export declare function compile(root?: string): Promise<string | undefined>;
